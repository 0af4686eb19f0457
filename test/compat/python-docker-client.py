"""Drives Python's docker client (Debian's python3-docker) through its high-level API against the daemon
in DOCKER_HOST and prints what a program would see, one JSON object; python-docker.test.ts checks it.
Every object it makes carries the prefix given as the first argument, and is removed at the end."""
import io
import json
import sys
import tarfile

import docker

prefix = sys.argv[1]
client = docker.from_env()
seen = {}


def tar_of(name, data):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as t:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


try:
    # containers.run, not detached: the output comes back (read from the logs, as the client does)
    seen['run_output'] = client.containers.run('busybox:latest', ['sh', '-c', 'echo out; echo err >&2'], remove=True).decode()
    seen['run_with_stderr'] = client.containers.run('busybox:latest', ['sh', '-c', 'echo out; echo err >&2'], remove=True, stderr=True).decode()
    try:
        client.containers.run('busybox:latest', ['sh', '-c', 'echo failing >&2; exit 3'], remove=True)
    except docker.errors.ContainerError as e:
        seen['run_failure'] = [e.exit_status, e.stderr.decode()]

    # detached, with labels, environment and a restart policy
    c = client.containers.run('busybox:latest', ['sleep', '300'], detach=True, name=f'{prefix}-c1',
                              labels={'role': 'py'}, environment={'GREETING': 'hi'}, restart_policy={'Name': 'on-failure', 'MaximumRetryCount': 2})
    c.reload()
    seen['detached'] = [c.status, c.name, c.labels.get('role'), c.attrs['HostConfig']['LogConfig']['Type'],
                        c.attrs['HostConfig']['RestartPolicy']['Name']]
    seen['listed'] = [x.name for x in client.containers.list(filters={'label': 'role=py'})]

    # exec: exit code and output, stdout and stderr apart, with a TTY
    r = c.exec_run(['sh', '-c', 'echo $GREETING; echo err >&2; exit 4'])
    seen['exec'] = [r.exit_code, r.output.decode()]
    r = c.exec_run(['sh', '-c', 'echo out; echo err >&2'], demux=True)
    seen['exec_demux'] = [r.output[0].decode(), r.output[1].decode()]
    r = c.exec_run(['sh', '-c', 'tty >/dev/null && echo tty'], tty=True)
    seen['exec_tty'] = [r.exit_code, r.output.decode()]

    # archives: put, get (with the stat header), and a missing path
    seen['put_archive'] = c.put_archive('/tmp', tar_of('greeting.txt', b'hello archive\n'))
    bits, stat = c.get_archive('/tmp/greeting.txt')
    got = tarfile.open(fileobj=io.BytesIO(b''.join(bits))).extractfile('greeting.txt').read().decode()
    seen['get_archive'] = [stat['name'], stat['size'], got]
    try:
        c.get_archive('/nope')
    except docker.errors.NotFound as e:
        seen['get_archive_missing'] = e.explanation
    head = client.api.head(client.api._url('/containers/{0}/archive', c.id), params={'path': '/tmp/greeting.txt'})
    seen['head_archive'] = [head.status_code, 'X-Docker-Container-Path-Stat' in head.headers]

    # logs
    client.containers.run('busybox:latest', ['sh', '-c', 'echo line1; echo line2'], name=f'{prefix}-logs')
    seen['logs'] = client.containers.get(f'{prefix}-logs').logs().decode()

    # commit, images
    img = c.commit(f'{prefix}-img', 'v1')
    seen['commit'] = [img.tags, img.attrs.get('Container') == c.id, 'ContainerConfig' in img.attrs]
    seen['images'] = sorted(t for i in client.images.list(name=f'{prefix}-img') for t in i.tags)
    img.tag(f'{prefix}-img', 'v2')
    seen['image_tags'] = sorted(client.images.get(f'{prefix}-img:v1').tags)
    client.images.remove(f'{prefix}-img:v2')
    client.images.remove(f'{prefix}-img:v1')

    # volumes
    v = client.volumes.create(f'{prefix}-vol', labels={'k': 'v'})
    seen['volume'] = [v.name, v.attrs['Labels'], [x.name for x in client.volumes.list(filters={'name': prefix})]]
    v.remove()

    # networks: create (CheckDuplicate sent), connect, inspect, disconnect, remove
    n = client.networks.create(f'{prefix}-net', driver='bridge', check_duplicate=False, labels={'k': 'v'})
    n.connect(c, aliases=['pyalias'])
    n.reload()
    seen['network'] = [n.name, [x.name for x in n.containers], n.attrs['Labels']]
    n.disconnect(c)
    n.remove()

    # wait, prune, df
    c.stop(timeout=1)
    seen['wait'] = c.wait()
    seen['df'] = sorted(k for k in client.df().keys())
    c.remove()
    client.containers.get(f'{prefix}-logs').remove()
    seen['prune'] = client.containers.prune(filters={'label': f'{prefix}-nothing'})
finally:
    for name in (f'{prefix}-c1', f'{prefix}-logs'):
        try:
            client.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass

print(json.dumps(seen))
