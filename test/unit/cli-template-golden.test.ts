/**
 * Golden cases: what the real docker CLI (28.2.2) printed for these templates, and what berth's
 * template engine must print for the same data. Captured against a berthd with
 *   docker -H unix://<sock> volume create --label app=shop --label 'tier=front end' --label empty= \
 *     --label 'Title=hello wOrld-foo_bar' -o type=tmpfs -o device=tmpfs -o o=size=1m golden-vol
 *   docker -H unix://<sock> network create --subnet 10.123.0.0/24 --gateway 10.123.0.1 --label app=shop \
 *     --label zeta=last -o com.example.x=1 --internal golden-net
 * the data being the daemon's GET /volumes/golden-vol and GET /networks/golden-net, and each output
 * the stdout of the command in the comment above its case, less the newline inspect adds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate } from '../../src/cli/render/template/index.js';
import { renderList } from '../../src/cli/render/formatter.js';
import { VOLUME_HEADER, VOLUME_TABLE, VolumeContext } from '../../src/cli/render/objects.js';

const VOLUME = {"CreatedAt":"2026-12-07T01:13:43Z","Driver":"local","Labels":{"Title":"hello wOrld-foo_bar","app":"shop","empty":"","tier":"front end"},"Mountpoint":"/tmp/cliwork/golden/data/volumes/golden-vol/_data","Name":"golden-vol","Options":{"device":"tmpfs","o":"size=1m","type":"tmpfs"},"Scope":"local"};

const NETWORK = {"Name":"golden-net","Id":"a57f0f9b7a71c386fab7b11dbe05efdc7f1333d0f40265b0f1b933668f89db9a","Created":"2026-12-07T01:13:43.548Z","Scope":"local","Driver":"bridge","EnableIPv4":true,"EnableIPv6":false,"IPAM":{"Driver":"default","Options":null,"Config":[{"Subnet":"10.123.0.0/24","Gateway":"10.123.0.1"}]},"Internal":true,"Attachable":false,"Ingress":false,"ConfigFrom":{"Network":""},"ConfigOnly":false,"Containers":{},"Options":{"com.example.x":"1"},"Labels":{"app":"shop","zeta":"last"}};

/** [template, docker's output] */
type Golden = [string, string];

const VOLUME_CASES: Golden[] = [
  // docker volume inspect -f '{{.Name}}' golden-vol
  ['{{.Name}}', 'golden-vol'],
  // docker volume inspect -f '{{json .Labels}}' golden-vol
  ['{{json .Labels}}', '{"Title":"hello wOrld-foo_bar","app":"shop","empty":"","tier":"front end"}'],
  // docker volume inspect -f '{{json .}}' golden-vol
  ['{{json .}}', '{"CreatedAt":"2026-12-07T01:13:43Z","Driver":"local","Labels":{"Title":"hello wOrld-foo_bar","app":"shop","empty":"","tier":"front end"},"Mountpoint":"/tmp/cliwork/golden/data/volumes/golden-vol/_data","Name":"golden-vol","Options":{"device":"tmpfs","o":"size=1m","type":"tmpfs"},"Scope":"local"}'],
  // docker volume inspect -f '{{.Labels}}' golden-vol
  ['{{.Labels}}', 'map[Title:hello wOrld-foo_bar app:shop empty: tier:front end]'],
  // docker volume inspect -f '{{.Options}}' golden-vol
  ['{{.Options}}', 'map[device:tmpfs o:size=1m type:tmpfs]'],
  // docker volume inspect -f '{{join (split .Labels.tier " ") "+"}}' golden-vol
  ['{{join (split .Labels.tier " ") "+"}}', 'front+end'],
  // docker volume inspect -f '{{index .Labels "app"}}' golden-vol
  ['{{index .Labels "app"}}', 'shop'],
  // docker volume inspect -f '[{{index .Labels "missing"}}]' golden-vol
  ['[{{index .Labels "missing"}}]', '[]'],
  // docker volume inspect -f '{{upper .Name}}' golden-vol
  ['{{upper .Name}}', 'GOLDEN-VOL'],
  // docker volume inspect -f '{{lower .Labels.Title}}' golden-vol
  ['{{lower .Labels.Title}}', 'hello world-foo_bar'],
  // docker volume inspect -f '{{title .Labels.Title}}' golden-vol
  ['{{title .Labels.Title}}', 'Hello WOrld-Foo_bar'],
  // docker volume inspect -f '{{title "hello wOrld-foo_bar x.y"}}' golden-vol
  ['{{title "hello wOrld-foo_bar x.y"}}', 'Hello WOrld-Foo_bar X.Y'],
  // docker volume inspect -f '{{len .Labels}} {{len .Name}}' golden-vol
  ['{{len .Labels}} {{len .Name}}', '4 10'],
  // docker volume inspect -f '{{printf "%s=%q" .Name .Driver}}' golden-vol
  ['{{printf "%s=%q" .Name .Driver}}', 'golden-vol="local"'],
  // docker volume inspect -f '{{printf "%5.2f|%-6s|%06d|%x|%v" 3.14159 "ab" 42 255 .Labels}}' golden-vol
  ['{{printf "%5.2f|%-6s|%06d|%x|%v" 3.14159 "ab" 42 255 .Labels}}', ' 3.14|ab    |000042|ff|map[Title:hello wOrld-foo_bar app:shop empty: tier:front end]'],
  // docker volume inspect -f '[{{pad .Name 2 3}}]' golden-vol
  ['[{{pad .Name 2 3}}]', '[  golden-vol   ]'],
  // docker volume inspect -f '{{truncate .Name 4}}' golden-vol
  ['{{truncate .Name 4}}', 'gold'],
  // docker volume inspect -f '{{truncate .Name 40}}' golden-vol
  ['{{truncate .Name 40}}', 'golden-vol'],
  // docker volume inspect -f '{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}' golden-vol
  ['{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', 'Title=hello wOrld-foo_bar;app=shop;empty=;tier=front end;'],
  // docker volume inspect -f '{{range .Options}}[{{.}}]{{end}}' golden-vol
  ['{{range .Options}}[{{.}}]{{end}}', '[tmpfs][size=1m][tmpfs]'],
  // docker volume inspect -f '{{if .Labels.empty}}yes{{else}}no{{end}}' golden-vol
  ['{{if .Labels.empty}}yes{{else}}no{{end}}', 'no'],
  // docker volume inspect -f '{{with .Labels.app}}app={{.}}{{end}}' golden-vol
  ['{{with .Labels.app}}app={{.}}{{end}}', 'app=shop'],
  // docker volume inspect -f '{{with .Labels.empty}}x{{else}}none{{end}}' golden-vol
  ['{{with .Labels.empty}}x{{else}}none{{end}}', 'none'],
  // docker volume inspect -f '{{println .Name "x"}}' golden-vol
  ['{{println .Name "x"}}', 'golden-vol x\n'],
  // docker volume inspect -f '{{println}}' golden-vol
  ['{{println}}', '\n'],
  // docker volume inspect -f '{{eq .Driver "local"}} {{ne .Scope "local"}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}' golden-vol
  ['{{eq .Driver "local"}} {{ne .Scope "local"}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', 'true false true true true false'],
  // docker volume inspect -f '{{eq .Driver "x" "local"}}' golden-vol
  ['{{eq .Driver "x" "local"}}', 'true'],
  // docker volume inspect -f '{{and .Name .Driver}} {{or .Labels.empty "fallback"}} {{not .Labels.empty}}' golden-vol
  ['{{and .Name .Driver}} {{or .Labels.empty "fallback"}} {{not .Labels.empty}}', 'local fallback true'],
  // docker volume inspect -f '{{.Name}}  {{- "|" -}}  {{.Scope}}' golden-vol
  ['{{.Name}}  {{- "|" -}}  {{.Scope}}', 'golden-vol|local'],
  // docker volume inspect -f '{{$n := .Name}}{{$n}}{{$n = "other"}} {{$n}}' golden-vol
  ['{{$n := .Name}}{{$n}}{{$n = "other"}} {{$n}}', 'golden-vol other'],
  // docker volume inspect -f '{{range $i, $e := split .Labels.tier " "}}{{$i}}:{{$e}} {{end}}' golden-vol
  ['{{range $i, $e := split .Labels.tier " "}}{{$i}}:{{$e}} {{end}}', '0:front 1:end '],
  // docker volume inspect -f '{{slice .Name 0 6}}' golden-vol
  ['{{slice .Name 0 6}}', 'golden'],
  // docker volume inspect -f '{{print .Name 1 2 "x" 3}}' golden-vol
  ['{{print .Name 1 2 "x" 3}}', 'golden-vol1 2x3'],
  // docker volume inspect -f '{{html "<a&b>"}}' golden-vol
  ['{{html "<a&b>"}}', '&lt;a&amp;b&gt;'],
  // docker volume inspect -f '{{urlquery "a b&c"}}' golden-vol
  ['{{urlquery "a b&c"}}', 'a+b%26c'],
  // docker volume inspect -f '{{json .Options}}' golden-vol
  ['{{json .Options}}', '{"device":"tmpfs","o":"size=1m","type":"tmpfs"}'],
  // docker volume inspect -f '{{.Labels.app | upper}}' golden-vol
  ['{{.Labels.app | upper}}', 'SHOP'],
  // docker volume inspect -f '{{.Name | printf "%s!"}}' golden-vol
  ['{{.Name | printf "%s!"}}', 'golden-vol!'],
  // docker volume inspect -f '{{/* comment */}}{{.Scope}}' golden-vol
  ['{{/* comment */}}{{.Scope}}', 'local'],
  // docker volume inspect -f '{{"quoted\tstring"}} {{`raw\t`}}' golden-vol
  ['{{"quoted\\tstring"}} {{`raw\\t`}}', 'quoted\tstring raw\\t'],
  // docker volume inspect -f '{{range split "a,b,,c" ","}}<{{.}}>{{end}}' golden-vol
  ['{{range split "a,b,,c" ","}}<{{.}}>{{end}}', '<a><b><><c>'],
  // docker volume inspect -f '{{index (split .Labels.tier " ") 1}}' golden-vol
  ['{{index (split .Labels.tier " ") 1}}', 'end'],
  // docker volume inspect -f '{{len (split "" ",")}}' golden-vol
  ['{{len (split "" ",")}}', '1'],
  // docker volume inspect -f "{{title \"don't stop ÿes 9lives\"}}" golden-vol
  ['{{title "don\'t stop ÿes 9lives"}}', 'Don\'T Stop Ÿes 9lives'],
  // docker volume inspect -f "{{html \"\\"it's\\" <b>\"}}" golden-vol
  ['{{html "\\"it\'s\\" <b>"}}', '&#34;it&#39;s&#34; &lt;b&gt;'],
  // docker volume inspect -f "{{urlquery \"it's (x)*!~_.-\" 1 2}}" golden-vol
  ['{{urlquery "it\'s (x)*!~_.-" 1 2}}', 'it%27s+%28x%29%2A%21~_.-1+2'],
  // docker volume inspect -f '{{html 1 2 "a" 3}}' golden-vol
  ['{{html 1 2 "a" 3}}', '1 2a3'],
  // docker volume inspect -f '{{println .Name 1 2}}' golden-vol
  ['{{println .Name 1 2}}', 'golden-vol 1 2\n'],
  // docker volume inspect -f '{{printf "%v|%d|%s" (split "a b" " ") (len .Options) .Scope}}' golden-vol
  ['{{printf "%v|%d|%s" (split "a b" " ") (len .Options) .Scope}}', '[a b]|3|local'],
  // docker volume inspect -f '{{printf "%t %5s|%-5d|" true "ab" 7}}' golden-vol
  ['{{printf "%t %5s|%-5d|" true "ab" 7}}', 'true    ab|7    |'],
];

const NETWORK_CASES: Golden[] = [
  // docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}' golden-net
  ['{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}', '10.123.0.0/24 via 10.123.0.1'],
  // docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' golden-net
  ['{{(index .IPAM.Config 0).Subnet}}', '10.123.0.0/24'],
  // docker network inspect -f '{{.Internal}} {{.EnableIPv6}}' golden-net
  ['{{.Internal}} {{.EnableIPv6}}', 'true false'],
  // docker network inspect -f '{{if and .Internal (not .Attachable)}}internal-only{{end}}' golden-net
  ['{{if and .Internal (not .Attachable)}}internal-only{{end}}', 'internal-only'],
  // docker network inspect -f '{{.Containers}}' golden-net
  ['{{.Containers}}', 'map[]'],
  // docker network inspect -f '{{.IPAM.Options}}' golden-net
  ['{{.IPAM.Options}}', 'map[]'],
  // docker network inspect -f '{{json .IPAM.Options}}' golden-net
  ['{{json .IPAM.Options}}', 'null'],
  // docker network inspect -f '{{len .IPAM.Config}}' golden-net
  ['{{len .IPAM.Config}}', '1'],
  // docker network inspect -f '{{range $k, $v := .Labels}}{{$k}}{{if eq $k "zeta"}}!{{end}} {{end}}' golden-net
  ['{{range $k, $v := .Labels}}{{$k}}{{if eq $k "zeta"}}!{{end}} {{end}}', 'app zeta! '],
  // docker network inspect -f '{{if .EnableIPv6}}v6{{else if .Internal}}internal{{else}}other{{end}}' golden-net
  ['{{if .EnableIPv6}}v6{{else if .Internal}}internal{{else}}other{{end}}', 'internal'],
  // docker network inspect -f '{{range .Containers}}x{{else}}no containers{{end}}' golden-net
  ['{{range .Containers}}x{{else}}no containers{{end}}', 'no containers'],
  // docker network inspect -f '{{json .IPAM}}' golden-net
  ['{{json .IPAM}}', '{"Driver":"default","Options":null,"Config":[{"Subnet":"10.123.0.0/24","Gateway":"10.123.0.1"}]}'],
  // docker network inspect -f '{{json .Labels}}' golden-net
  ['{{json .Labels}}', '{"app":"shop","zeta":"last"}'],
];
/** Data and output of docker commands that need no daemon. */
const CONTEXT = { Current: true, Description: 'Current DOCKER_HOST based configuration', DockerEndpoint: 'unix:///var/run/docker.sock', Error: '', Name: 'default' };
const CLIENT_VERSION = {
  Version: '28.2.2', ApiVersion: '1.50', DefaultAPIVersion: '1.50', GitCommit: 'e6534b4', GoVersion: 'go1.24.3', Os: 'linux', Arch: 'amd64',
  BuildTime: 'Fri May 30 12:07:14 2025', Context: 'default',
};

describe('the template engine prints what docker prints', () => {
  for (const [name, data, cases] of [['volume', VOLUME, VOLUME_CASES], ['network', NETWORK, NETWORK_CASES]] as const) {
    it(`for ${name} inspect templates`, () => {
      for (const [template, expected] of cases) assert.equal(parseTemplate(template).execute(data), expected, template);
    });
  }

  it('for client-side data (no daemon)', () => {
    // docker context ls --format '{{.Name}}|{{if .Current}}*{{end}}|{{upper .DockerEndpoint}}|{{len .Error}}'
    assert.equal(parseTemplate('{{.Name}}|{{if .Current}}*{{end}}|{{upper .DockerEndpoint}}|{{len .Error}}').execute(CONTEXT),
      'default|*|UNIX:///VAR/RUN/DOCKER.SOCK|0');
    // docker version --format '{{.Client.Version}} {{.Client.Os}}/{{.Client.Arch}} {{truncate .Client.GitCommit 3}} {{json .Client}}'
    assert.equal(parseTemplate('{{.Client.Version}} {{.Client.Os}}/{{.Client.Arch}} {{truncate .Client.GitCommit 3}} {{json .Client}}')
      .execute({ Client: CLIENT_VERSION }),
    '28.2.2 linux/amd64 e65 {"Version":"28.2.2","ApiVersion":"1.50","DefaultAPIVersion":"1.50","GitCommit":"e6534b4","GoVersion":"go1.24.3","Os":"linux","Arch":"amd64","BuildTime":"Fri May 30 12:07:14 2025","Context":"default"}');
  });

  it('for a list row as json (formatter contexts escape HTML, as docker\'s MarshalJSON does)', () => {
    // docker volume create --label 'x=<a&b>' golden-html; docker volume ls --format '{{json .}}' -f name=golden-html
    const volume = {
      CreatedAt: '2026-12-07T01:14:27Z', Driver: 'local', Labels: { x: '<a&b>' }, Mountpoint: '/tmp/cliwork/golden/data/volumes/golden-html/_data',
      Name: 'golden-html', Options: null, Scope: 'local',
    };
    assert.equal(renderList('{{json .}}', VOLUME_TABLE, [new VolumeContext(volume)], VOLUME_HEADER),
      '{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"x=\\u003ca\\u0026b\\u003e","Links":"N/A","Mountpoint":"/tmp/cliwork/golden/data/volumes/golden-html/_data","Name":"golden-html","Scope":"local","Size":"N/A","Status":"N/A"}\n');
  });
});
