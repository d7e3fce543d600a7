import { InputError } from './csv.js';

/**
 * JSON with exact numbers and positions. `JSON.parse` turns 0.1 into a binary float and forgets
 * where things were; a bill needs neither. Numbers come back as `JsonNumber` (their source text),
 * and every object and array remembers its line and column for error messages.
 */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

const POS = new WeakMap<object, [number, number]>();

/** [line, column] where an object or array began; [1, 1] when unknown. */
export function posOf(v: unknown): [number, number] {
  return (typeof v === 'object' && v !== null && POS.get(v)) || [1, 1];
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseExactJson(input: string): JsonValue {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (why: string): never => {
    throw new InputError(line, i - lineStart + 1, why);
  };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        line++;
        lineStart = ++i;
      } else if (c === 32 || c === 9 || c === 13) i++;
      else return;
    }
  };
  const str = (): string => {
    let out = '';
    let j = ++i;
    for (;;) {
      const c = text.charCodeAt(j);
      if (Number.isNaN(c)) fail('a string is never closed');
      if (c === 34) {
        out += text.slice(i, j);
        i = j + 1;
        return out;
      }
      if (c < 32) {
        i = j;
        fail('a control character inside a string');
      }
      if (c === 92) {
        out += text.slice(i, j);
        const e = text[j + 1];
        const map: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === 'u') {
          const hex = text.slice(j + 2, j + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            i = j;
            fail('a bad \\u escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          j += 6;
        } else if (e !== undefined && map[e] !== undefined) {
          out += map[e];
          j += 2;
        } else {
          i = j;
          fail('a bad escape in a string');
        }
        i = j;
        continue;
      }
      j++;
    }
  };
  const value = (depth: number): JsonValue => {
    if (depth > 64) fail('nested too deeply');
    ws();
    const c = text[i];
    const at: [number, number] = [line, i - lineStart + 1];
    if (c === '{') {
      i++;
      const obj: JsonObject = {};
      POS.set(obj, at);
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a field name in double quotes');
        const k = str();
        ws();
        if (text[i] !== ':') fail('expected ":" after a field name');
        i++;
        if (Object.prototype.hasOwnProperty.call(obj, k)) fail(`field "${k}" appears twice`);
        obj[k] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      POS.set(arr, at);
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (m) {
      i += m[0].length;
      return new JsonNumber(m[0]);
    }
    return fail(i >= text.length ? 'the JSON ends early' : 'not a JSON value');
  };
  const v = value(0);
  ws();
  if (i < text.length) fail('text after the end of the JSON value');
  return v;
}
