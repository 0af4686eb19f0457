import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, TemplateError } from '../../src/cli/render/template/index.js';
import { ContainerContext } from '../../src/cli/render/contexts.js';

const inspect = {
  Name: '/web',
  State: { Status: 'running', Pid: 4242, ExitCode: 0, Running: true },
  Config: { Labels: { app: 'shop', tier: 'front' }, Cmd: ['sh', '-c', 'echo hi'], Entrypoint: null, Env: null, Tty: false },
  HostConfig: { Memory: 1000000000, Binds: null },
  Mounts: [{ Source: '/srv/a', Destination: '/a' }, { Source: '/srv/b', Destination: '/b' }],
};

const render = (t: string, data: unknown = inspect): string => parseTemplate(t).execute(data);

describe('go template evaluator', () => {
  it('reads fields and nested fields', () => {
    assert.equal(render('{{.Name}} {{.State.Status}} {{.State.Pid}}'), '/web running 4242');
  });

  it('prints maps sorted as Go does, and null slices as empty', () => {
    assert.equal(render('{{.Config.Labels}}'), 'map[app:shop tier:front]');
    assert.equal(render('{{.Config.Cmd}}'), '[sh -c echo hi]');
    assert.equal(render('{{.Config.Entrypoint}}|{{.HostConfig.Binds}}'), '[]|[]');
    assert.equal(render('{{.HostConfig.Memory}}'), '1000000000');
  });

  it('encodes json keeping the daemon key order', () => {
    assert.equal(render('{{json .Config.Labels}}'), '{"app":"shop","tier":"front"}');
    assert.equal(render('{{json .State}}'), '{"Status":"running","Pid":4242,"ExitCode":0,"Running":true}');
    assert.equal(render('{{json .Config.Entrypoint}}'), 'null');
  });

  it('supports index, range, if/else, with and variables', () => {
    assert.equal(render('{{index .Config.Labels "tier"}}'), 'front');
    assert.equal(render('[{{index .Config.Labels "missing"}}]'), '[]');
    assert.equal(render('{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}'), '/srv/a:/a /srv/b:/b ');
    assert.equal(render('{{range $i, $m := .Mounts}}{{$i}}={{$m.Destination}};{{end}}'), '0=/a;1=/b;');
    assert.equal(render('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}'), 'app=shop,tier=front,');
    assert.equal(render('{{if .State.Running}}up{{else}}down{{end}}'), 'up');
    assert.equal(render('{{if .Config.Tty}}tty{{else if .State.Running}}plain{{end}}'), 'plain');
    assert.equal(render('{{with .State}}{{.Status}}{{end}}'), 'running');
    assert.equal(render('{{$s := .State.Status}}{{$s}}!'), 'running!');
    assert.equal(render('{{range .Config.Env}}x{{else}}none{{end}}'), 'none');
  });

  it('has docker functions and pipelines', () => {
    assert.equal(render('{{upper .State.Status}} {{.State.Status | upper}} {{lower "AbC"}}'), 'RUNNING RUNNING abc');
    assert.equal(render('{{join .Config.Cmd ","}}'), 'sh,-c,echo hi');
    assert.equal(render('{{println .Name}}'), '/web\n');
    assert.equal(render('{{printf "%-6s|%d" .State.Status .State.Pid}}'), 'running|4242');
    assert.equal(render('{{len .Mounts}} {{eq .State.Status "running"}} {{not .State.Running}}'), '2 true false');
    assert.equal(render('{{title "hello world"}} {{truncate "abcdef" 3}} {{split "a:b" ":"}}'), 'Hello World abc [a b]');
  });

  it('trims whitespace around {{- and -}}', () => {
    assert.equal(render('a  {{- .Name -}}  b'), 'a/webb');
  });

  it('fails on a missing key with docker\'s message', () => {
    assert.throws(() => render('{{.Nope}}'), (err: Error) =>
      err instanceof TemplateError && err.message === 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"');
    assert.throws(() => render('{{.State.Health.Status}}'), /map has no entry for key "Health"/);
  });

  it('rejects malformed templates', () => {
    assert.throws(() => parseTemplate('{{.Name'), TemplateError);
    assert.throws(() => parseTemplate('{{if .Name}}x'), TemplateError);
    assert.throws(() => parseTemplate('{{nosuchfunc .Name}}').execute(inspect), /function "nosuchfunc" not defined/);
  });

  it('calls formatter methods with arguments and marshals contexts', () => {
    const c = new ContainerContext({ Id: 'a'.repeat(64), Names: ['/web'], Labels: { app: 'shop' }, Image: 'busybox', Command: 'sh', Created: 0, State: 'running', Status: 'Up 1 second' }, true);
    assert.equal(render('{{.ID}} {{.Names}} {{.Label "app"}} {{.Labels}}', c), `${'a'.repeat(12)} web shop app=shop`);
    const json = JSON.parse(render('{{json .}}', c)) as Record<string, string>;
    assert.equal(json.Names, 'web');
    assert.equal(json.Command, '"sh"');
    assert.deepEqual(Object.keys(json), [...Object.keys(json)].sort());
  });
});
