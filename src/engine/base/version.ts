/** berthd's own version, and the Engine API versions it serves (requests may name any in between). */
export const BERTH_VERSION = '0.1.0';
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';
