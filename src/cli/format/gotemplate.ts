/**
 * Go text/template, the subset podman users put in `--format`: actions with `{{- -}}` trimming, fields
 * (`.A.B`, `$v.A`, `$`), variables (`$x := …`), pipelines (`.Name | printf "%q"`), parenthesised
 * commands, `if`/`else if`/`else`, `range` (with `$i, $v :=`, over arrays and maps), `with`, `end`, and
 * podman's functions (json, index, len, printf, print, println, eq, ne, lt, le, gt, ge, and, or, not, upper,
 * lower, title, join, split, contains, truncate, pad). Values are plain JSON-like objects: one whose keys
 * all start upper-case stands for a Go struct (unknown field: an error, printed `{a b}`), any other object
 * for a map (missing key: `<no value>`, printed `map[k:v]`).
 */
import { ConmanError } from '../../base/errors.js';

type Value = unknown;

const NO_VALUE = Symbol('no value');

interface Text { kind: 'text'; text: string }
interface Action { kind: 'action'; pipe: Pipeline }
interface If { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[] }
interface Range { kind: 'range'; pipe: Pipeline; body: Node[]; else: Node[] }
type Node = Text | Action | If | Range;

interface Pipeline { decl: string[]; cmds: Cmd[] }
type Arg =
  | { t: 'field'; base: 'dot' | string; path: string[] } // base: 'dot' or a variable name ('$', '$x')
  | { t: 'lit'; v: Value }
  | { t: 'fn'; name: string }
  | { t: 'sub'; pipe: Pipeline; path: string[] };
type Cmd = Arg[];

function fail(msg: string): never {
  throw new ConmanError('EINVAL', `template: ${msg}`);
}

// ---------------------------------------------------------------- lexing and parsing

interface Tok { t: 'text' | 'action'; v: string }

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ t: 'text', v: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let j = open + 2;
    if (src[j] === '-' && /\s/.test(src[j + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      j += 2;
    }
    if (text) out.push({ t: 'text', v: text });
    // find the closing braces outside string literals
    let k = j;
    let quote = '';
    for (; k < src.length; k++) {
      const c = src[k]!;
      if (quote) {
        if (c === '\\' && quote === '"') k++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === '`') quote = c;
      else if (c === '}' && src[k + 1] === '}') break;
    }
    if (k >= src.length) fail(`unclosed action in "${src}"`);
    let body = src.slice(j, k);
    i = k + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -2);
      const m = /^\s*/.exec(src.slice(i))!;
      i += m[0].length;
    }
    out.push({ t: 'action', v: body.trim() });
  }
  return out;
}

function lexAction(s: string): string[] {
  const toks: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === '|' || c === ',') { toks.push(c); i++; continue; }
    if (c === ':' && s[i + 1] === '=') { toks.push(':='); i += 2; continue; }
    if (c === '=' ) { toks.push('='); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length) fail(`unterminated string in {{${s}}}`);
      toks.push(s.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = s.indexOf('`', i + 1);
      if (j < 0) fail(`unterminated raw string in {{${s}}}`);
      toks.push(s.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < s.length && !/[\s()|,]/.test(s[j]!) && !(s[j] === ':' && s[j + 1] === '=')) j++;
    // a field chain after a closing paren: (x).A.B
    toks.push(s.slice(i, j));
    i = j;
  }
  return toks;
}

class ActionParser {
  private i = 0;
  constructor(private readonly toks: string[], private readonly src: string) {}

  pipeline(stopAtParen = false): Pipeline {
    const decl: string[] = [];
    // $x := … or $i, $v := …
    const save = this.i;
    const vars: string[] = [];
    while (this.toks[this.i]?.startsWith('$')) {
      vars.push(this.toks[this.i]!);
      this.i++;
      if (this.toks[this.i] === ',') { this.i++; continue; }
      break;
    }
    if (vars.length && (this.toks[this.i] === ':=' || this.toks[this.i] === '=')) {
      this.i++;
      decl.push(...vars);
    } else this.i = save;
    const cmds: Cmd[] = [];
    for (;;) {
      const cmd: Cmd = [];
      while (this.i < this.toks.length && this.toks[this.i] !== '|' && !(stopAtParen && this.toks[this.i] === ')')) {
        cmd.push(this.arg());
      }
      if (!cmd.length) fail(`missing command in {{${this.src}}}`);
      cmds.push(cmd);
      if (this.toks[this.i] === '|') { this.i++; continue; }
      break;
    }
    return { decl, cmds };
  }

  private arg(): Arg {
    const tok = this.toks[this.i++]!;
    if (tok === '(') {
      const pipe = this.pipeline(true);
      if (this.toks[this.i++] !== ')') fail(`unclosed parenthesis in {{${this.src}}}`);
      // (…).Field.Sub
      const next = this.toks[this.i];
      let path: string[] = [];
      if (next && next.startsWith('.') && next.length > 1) { path = next.slice(1).split('.'); this.i++; }
      return { t: 'sub', pipe, path };
    }
    if (tok === ')') fail(`unexpected ")" in {{${this.src}}}`);
    if (tok.startsWith('"')) return { t: 'lit', v: JSON.parse(tok) as string };
    if (tok.startsWith('`')) return { t: 'lit', v: tok.slice(1, -1) };
    if (tok === 'true' || tok === 'false') return { t: 'lit', v: tok === 'true' };
    if (tok === 'nil') return { t: 'lit', v: null };
    if (/^-?\d+(\.\d+)?$/.test(tok)) return { t: 'lit', v: Number(tok) };
    if (tok === '.') return { t: 'field', base: 'dot', path: [] };
    if (tok.startsWith('.')) return { t: 'field', base: 'dot', path: tok.slice(1).split('.') };
    if (tok.startsWith('$')) {
      const [name, ...path] = tok.split('.');
      return { t: 'field', base: name!, path };
    }
    if (/^[A-Za-z_]\w*$/.test(tok)) return { t: 'fn', name: tok };
    fail(`unexpected "${tok}" in {{${this.src}}}`);
  }

  done(): void {
    if (this.i < this.toks.length) fail(`unexpected "${this.toks[this.i]}" in {{${this.src}}}`);
  }
}

function parsePipe(src: string): Pipeline {
  const p = new ActionParser(lexAction(src), src);
  const pipe = p.pipeline();
  p.done();
  return pipe;
}

function parse(src: string): Node[] {
  const toks = tokenize(src);
  let pos = 0;
  // returns the nodes up to an `end`/`else` keyword (which it leaves for the caller to read)
  const list = (inBlock: boolean): { nodes: Node[]; stop?: string } => {
    const nodes: Node[] = [];
    while (pos < toks.length) {
      const tok = toks[pos++]!;
      if (tok.t === 'text') { nodes.push({ kind: 'text', text: tok.v }); continue; }
      const a = tok.v;
      if (a.startsWith('/*')) continue;
      const kw = /^(if|with|range|else|end)\b\s*(.*)$/s.exec(a);
      if (!kw) { nodes.push({ kind: 'action', pipe: parsePipe(a) }); continue; }
      const [, word, rest] = kw;
      if (word === 'end' || word === 'else') {
        if (!inBlock) fail(`unexpected {{${word}}}`);
        return { nodes, stop: a };
      }
      nodes.push(block(word as 'if' | 'with' | 'range', rest!));
    }
    if (inBlock) fail('missing {{end}}');
    return { nodes };
  };
  const block = (word: 'if' | 'with' | 'range', rest: string): Node => {
    const pipe = parsePipe(rest);
    const body = list(true);
    let elseNodes: Node[] = [];
    if (body.stop !== 'end') {
      const elseIf = /^else\s+if\s+(.*)$/s.exec(body.stop!);
      if (elseIf && word === 'if') {
        elseNodes = [block('if', elseIf[1]!)];
      } else {
        const e = list(true);
        if (e.stop !== 'end') fail(`expected {{end}}, found {{${e.stop}}}`);
        elseNodes = e.nodes;
      }
    }
    if (word === 'range') return { kind: 'range', pipe, body: body.nodes, else: elseNodes };
    return { kind: word, pipe, then: body.nodes, else: elseNodes };
  };
  return list(false).nodes;
}

// ---------------------------------------------------------------- values

function isStruct(o: Record<string, unknown>): boolean {
  const keys = Object.keys(o);
  return keys.length > 0 && keys.every((k) => /^[A-Z]/.test(k));
}

function field(v: Value, name: string): Value {
  if (v === NO_VALUE || v === null || v === undefined) fail(`nil pointer evaluating .${name}`);
  if (typeof v !== 'object' || Array.isArray(v)) fail(`can't evaluate field ${name} in type ${goType(v)}`);
  const o = v as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(o, name)) return o[name];
  if (isStruct(o)) {
    const alt = Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());
    if (alt !== undefined) return o[alt];
    fail(`can't evaluate field ${name}`);
  }
  return NO_VALUE;
}

function goType(v: Value): string {
  if (Array.isArray(v)) return 'slice';
  if (v === null) return 'nil';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  return typeof v;
}

function truthy(v: Value): boolean {
  if (v === NO_VALUE || v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** fmt's %v */
export function show(v: Value): string {
  if (v === NO_VALUE || v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (isStruct(o)) return `{${Object.values(o).map(show).join(' ')}}`;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${show(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

function sprintf(format: string, args: Value[]): string {
  let n = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([vsdqtxXfe%])/g, (_m, flags: string, width?: string, prec?: string, verb?: string) => {
    if (verb === '%') return '%';
    const a = n < args.length ? args[n++] : undefined;
    let s: string;
    switch (verb) {
      case 'd': s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${goType(a)}=${show(a)})`; break;
      case 'q': s = JSON.stringify(typeof a === 'string' ? a : show(a)); break;
      case 't': s = String(truthy(a)); break;
      case 'x': case 'X': s = typeof a === 'number' ? a.toString(16) : Buffer.from(show(a)).toString('hex'); if (verb === 'X') s = s.toUpperCase(); break;
      case 'f': case 'e': s = typeof a === 'number' ? (verb === 'f' ? a.toFixed(prec ? Number(prec) : 6) : a.toExponential(prec ? Number(prec) : 6)) : show(a); break;
      default: s = show(a);
    }
    if (width) s = flags.includes('-') ? s.padEnd(Number(width)) : s.padStart(Number(width), flags.includes('0') ? '0' : ' ');
    return s;
  });
}

function cmp(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  fail(`incompatible types for comparison: ${goType(a)} and ${goType(b)}`);
}

function plain(v: Value): Value {
  return v === NO_VALUE ? undefined : v;
}

const FUNCS: Record<string, (...a: Value[]) => Value> = {
  json: (v) => JSON.stringify(plain(v) ?? null),
  len: (v) => {
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    if (v && typeof v === 'object') return Object.keys(v).length;
    fail(`len of ${goType(v)}`);
  },
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur)) {
        if (typeof k !== 'number' || k < 0 || k >= cur.length) fail(`index out of range: ${show(k)}`);
        cur = cur[k];
      } else if (cur && typeof cur === 'object') {
        const o = cur as Record<string, unknown>;
        cur = Object.prototype.hasOwnProperty.call(o, String(k)) ? o[String(k)] : NO_VALUE;
      } else fail(`can't index item of type ${goType(cur)}`);
    }
    return cur;
  },
  printf: (f, ...a) => sprintf(String(f), a),
  print: (...a) => a.map(show).join(''),
  println: (...a) => `${a.map(show).join(' ')}\n`,
  eq: (a, ...bs) => bs.some((b) => plain(a) === plain(b)),
  ne: (a, b) => plain(a) !== plain(b),
  lt: (a, b) => cmp(a, b) < 0,
  le: (a, b) => cmp(a, b) <= 0,
  gt: (a, b) => cmp(a, b) > 0,
  ge: (a, b) => cmp(a, b) >= 0,
  not: (a) => !truthy(a),
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
  upper: (s) => show(s).toUpperCase(),
  lower: (s) => show(s).toLowerCase(),
  title: (s) => show(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  join: (a, sep) => (Array.isArray(a) ? a.map(show).join(String(sep ?? '')) : show(a)),
  split: (s, sep) => show(s).split(String(sep)),
  contains: (s, sub) => show(s).includes(show(sub)),
  truncate: (s, n) => show(s).slice(0, Number(n)),
  pad: (s, n) => show(s).padEnd(Number(n)),
};

// ---------------------------------------------------------------- evaluation

class Scope {
  private vars: Array<Map<string, Value>> = [];
  constructor(root: Value) {
    this.vars.push(new Map([['$', root]]));
  }
  push(): void { this.vars.push(new Map()); }
  pop(): void { this.vars.pop(); }
  set(name: string, v: Value): void { this.vars[this.vars.length - 1]!.set(name, v); }
  get(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.has(name)) return this.vars[i]!.get(name);
    fail(`undefined variable: ${name}`);
  }
}

function evalArg(a: Arg, dot: Value, scope: Scope): Value {
  switch (a.t) {
    case 'lit': return a.v;
    case 'fn': {
      const f = FUNCS[a.name];
      if (!f) fail(`function "${a.name}" not defined`);
      return f();
    }
    case 'sub': {
      let v = evalPipe(a.pipe, dot, scope);
      for (const p of a.path) v = field(v, p);
      return v;
    }
    case 'field': {
      let v = a.base === 'dot' ? dot : scope.get(a.base);
      for (const p of a.path) v = field(v, p);
      return v;
    }
  }
}

const NO_PIPE = Symbol('no pipe');

function evalCmd(cmd: Cmd, dot: Value, scope: Scope, piped: Value | typeof NO_PIPE): Value {
  const [head, ...rest] = cmd;
  if (head!.t === 'fn') {
    const f = FUNCS[head!.name];
    if (!f) fail(`function "${head!.name}" not defined`);
    const args = rest.map((a) => evalArg(a, dot, scope));
    if (piped !== NO_PIPE) args.push(piped);
    return f(...args);
  }
  if (rest.length || piped !== NO_PIPE) fail(`can't give argument to non-function ${show(evalArg(head!, dot, scope))}`);
  return evalArg(head!, dot, scope);
}


function evalPipe(p: Pipeline, dot: Value, scope: Scope): Value {
  let v: Value | typeof NO_PIPE = NO_PIPE;
  for (const c of p.cmds) v = evalCmd(c, dot, scope, v);
  const out = v === NO_PIPE ? undefined : v;
  if (p.decl.length === 1) scope.set(p.decl[0]!, out);
  return out;
}

function exec(nodes: Node[], dot: Value, scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'text': out.push(n.text); break;
      case 'action': {
        const v = evalPipe(n.pipe, dot, scope);
        if (!n.pipe.decl.length) out.push(show(v));
        break;
      }
      case 'if': case 'with': {
        scope.push();
        const v = evalPipe(n.pipe, dot, scope);
        if (truthy(v)) exec(n.then, n.kind === 'with' ? v : dot, scope, out);
        else exec(n.else, dot, scope, out);
        scope.pop();
        break;
      }
      case 'range': {
        const decl = n.pipe.decl;
        const v = evalPipe({ decl: [], cmds: n.pipe.cmds }, dot, scope);
        const entries: Array<[Value, Value]> = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v && typeof v === 'object'
            ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
            : v === undefined || v === null || v === NO_VALUE
              ? []
              : fail(`range can't iterate over ${show(v)}`);
        if (!entries.length) { exec(n.else, dot, scope, out); break; }
        for (const [k, x] of entries) {
          scope.push();
          if (decl.length === 1) scope.set(decl[0]!, x);
          if (decl.length === 2) { scope.set(decl[0]!, k); scope.set(decl[1]!, x); }
          exec(n.body, x, scope, out);
          scope.pop();
        }
        break;
      }
    }
  }
}

const cache = new Map<string, Node[]>();

/** Renders a Go template over a value; errors (bad syntax, unknown fields or functions) are ConmanErrors (exit 125). */
export function renderGo(tmpl: string, data: Value): string {
  let nodes = cache.get(tmpl);
  if (!nodes) {
    nodes = parse(tmpl);
    cache.set(tmpl, nodes);
  }
  const out: string[] = [];
  exec(nodes, data, new Scope(data), out);
  return out.join('');
}
