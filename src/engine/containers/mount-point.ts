// The mounts a container record keeps, from create to rm.

/** The entry of `Mounts` in `docker inspect`. */
export interface InspectMount {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/**
 * One mount of a container, stored with the container from create to rm (Docker's MountPoint). The
 * capitalised fields are what `docker inspect` shows under `Mounts`; the rest is what start needs.
 */
export interface MountPoint extends InspectMount {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** A volume the user named: `rm -v` keeps it. */
  named?: boolean;
  /** Fill the volume from the image's content at Destination when it is empty. */
  copyData?: boolean;
  /** A `-v` bind: its host path is created at start when missing (a `--mount` bind must exist). */
  createSource?: boolean;
  /** tmpfs mount data (`size=64m,mode=1770`). */
  data?: string;
  /** For a volume not yet created: how to create it. */
  volumeLabels?: Record<string, string>;
  volumeOptions?: Record<string, string>;
}
