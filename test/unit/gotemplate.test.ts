import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderGo } from '../../src/cli/format/gotemplate.js';
import { render, splitTable } from '../../src/cli/format/format.js';
import { ConmanError } from '../../src/base/errors.js';

const ctr = {
  Id: 'abc123',
  Name: 'qa-p1',
  State: { Status: 'running', Running: true, Pid: 42, ExitCode: 0 },
  Config: { Env: ['PATH=/bin', 'A=1'], Labels: { a: 'b' }, Cmd: ['sleep', '1000'] },
  NetworkSettings: {
    Networks: { conman: { IPAddress: '10.89.0.5', Gateway: '10.89.0.1' } },
    Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18081' }] },
  },
};

test('fields, nested fields and maps', () => {
  assert.equal(renderGo('{{.Name}} {{.State.Status}} {{.State.Pid}}', ctr), 'qa-p1 running 42');
  assert.equal(renderGo('{{.Config.Labels.a}}|{{.Config.Labels.zz}}', ctr), 'b|<no value>');
  assert.equal(renderGo('{{index .Config.Labels "a"}}', ctr), 'b');
  assert.equal(renderGo('{{.Config.Env}}', ctr), '[PATH=/bin A=1]');
  assert.equal(renderGo('{{.Config.Labels}}', ctr), 'map[a:b]');
  assert.equal(renderGo('{{index .NetworkSettings.Ports "80/tcp" 0}}', ctr), '{127.0.0.1 18081}');
  assert.equal(renderGo('{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', ctr), '18081');
});

test('range, if/else, with, variables', () => {
  assert.equal(renderGo('{{range $k,$v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}}{{end}}', ctr), 'conman 10.89.0.5');
  assert.equal(renderGo('{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', ctr), '10.89.0.5');
  assert.equal(renderGo('{{range .Config.Env}}[{{.}}]{{end}}', ctr), '[PATH=/bin][A=1]');
  assert.equal(renderGo('{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}', ctr), '0=PATH=/bin;1=A=1;');
  assert.equal(renderGo('{{range .Config.Cmd}}{{.}}{{else}}none{{end}}', { Config: { Cmd: [] } }), 'none');
  assert.equal(renderGo('{{if .State.Running}}yes{{else}}no{{end}}', ctr), 'yes');
  assert.equal(renderGo('{{if eq .State.Status "exited"}}x{{else if .State.Running}}r{{else}}o{{end}}', ctr), 'r');
  assert.equal(renderGo('{{with .State}}{{.Status}}{{end}}', ctr), 'running');
  assert.equal(renderGo('{{$n := .Name}}{{with .State}}{{$n}}:{{.Pid}} {{$.Id}}{{end}}', ctr), 'qa-p1:42 abc123');
});

test('functions and pipelines', () => {
  assert.equal(renderGo('{{printf "%s-%d" .Name .State.Pid}}', ctr), 'qa-p1-42');
  assert.equal(renderGo('{{.Name | printf "%q"}}', ctr), '"qa-p1"');
  assert.equal(renderGo('{{len .Config.Env}}', ctr), '2');
  assert.equal(renderGo('{{eq .State.Status "running"}} {{ne 1 2}} {{lt 1 2}} {{not true}}', ctr), 'true true true false');
  assert.equal(renderGo('{{and .State.Running .Name}} {{or "" "x"}}', ctr), 'qa-p1 x');
  assert.equal(renderGo('{{json .State}}', ctr), JSON.stringify(ctr.State));
  assert.equal(renderGo('{{upper .Name}} {{join .Config.Cmd ","}} {{lower "AB"}}', ctr), 'QA-P1 sleep,1000 ab');
});

test('trim markers', () => {
  assert.equal(renderGo('a  {{- .Name -}}  b', ctr), 'aqa-p1b');
  assert.equal(renderGo('{{range .Config.Env -}}\n  {{.}}\n{{- end}}', ctr), 'PATH=/binA=1');
});

test('unknown fields and functions are errors, as in podman', () => {
  const bad = (t: string) => assert.throws(() => renderGo(t, ctr), (e: unknown) => e instanceof ConmanError && /template/.test(e.message), t);
  bad('{{.Nonexistent}}');
  bad('{{.State.Nope}}');
  bad('{{nosuchfn .Name}}');
  bad('{{if .Name}}unclosed');
  bad('{{.Name');
  bad('{{end}}');
});

test('format.ts: escapes and table headers', () => {
  assert.equal(render('{{.Name}}\\t{{.Id}}', ctr), 'qa-p1\tabc123');
  const t = splitTable('table {{.ID}}\\t{{.Names}}\\t{{.State.Status}}');
  assert.equal(t.header, 'ID\tNAMES\tSTATUS');
});

test('the rest of the functions, printf verbs, comments, empty values (as Go renders them)', () => {
  const d = { Name: 'web', N: 255, F: 1.5, L: ['a', 'b'], Empty: '', M: { k: 'v' } };
  assert.equal(renderGo('{{print .Name 1}}|{{println .Name "x"}}', d), 'web1|web x\n');
  assert.equal(renderGo('{{le 1 1}} {{gt 2 1}} {{ge 1 2}}', d), 'true true false');
  assert.equal(renderGo('{{title "hello world"}} {{split "a,b" ","}} {{contains .Name "e"}} {{truncate .Name 2}} [{{pad .Name 5}}]', d), 'Hello World [a b] true we [web  ]');
  assert.equal(renderGo('{{printf "%x %X %t %5.2f %v %s" .N .N true .F .L .M}}', d), 'ff FF true  1.50 [a b] map[k:v]');
  assert.equal(renderGo('{{/* a comment */}}x{{"lit"}} {{1}} {{true}}', d), 'xlit 1 true');
  assert.equal(renderGo('{{if .Empty}}y{{else}}n{{end}}{{with .Empty}}y{{else}}n{{end}}', d), 'nn');
  assert.equal(renderGo('{{range $k, $v := .M}}{{$k}}={{$v}}{{end}}', d), 'k=v');
  assert.throws(() => renderGo('{{lt .Name 1}}', d), /incompatible types for comparison/);
  assert.throws(() => renderGo('{{index .L 5}}', d), /index out of range/);
});
