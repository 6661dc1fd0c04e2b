import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { np, type Array as TfArray, tree } from '@tenfold/core';
import {
  CheckpointError,
  decodeCheckpoint,
  decodeParams,
  decodeSafetensors,
  encodeCheckpoint,
  encodeCheckpointAsync,
  encodeSafetensors,
  TREE_METADATA_KEY,
  tensorNameOfPath,
  tensorNames,
} from '@tenfold/nn';
import { loadCheckpoint, loadParams, saveCheckpoint, saveCheckpointAsync } from '@tenfold/nn/node';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

// Lets a test make the checkpoint module's fs calls fail (simulating a crash or a full disk).
const hooks = vi.hoisted(() => ({
  writeSync: undefined as undefined | ((...args: unknown[]) => number),
  renameSync: undefined as undefined | ((...args: unknown[]) => void),
}));
vi.mock('node:fs', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs')>();
  return {
    ...orig,
    writeSync: (...args: unknown[]) => (hooks.writeSync ?? (orig.writeSync as (...a: unknown[]) => number))(...args),
    renameSync: (...args: unknown[]) => (hooks.renameSync ?? (orig.renameSync as (...a: unknown[]) => void))(...args),
  };
});

const dir = fs.mkdtempSync(join(tmpdir(), 'tenfold-ckpt-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  hooks.writeSync = undefined;
  hooks.renameSync = undefined;
});

let counter = 0;
const fresh = (name = 'ckpt') => join(dir, `${name}-${counter++}.safetensors`);

function right<A>(r: E.Either<CheckpointError, A>): A {
  if (E.isLeft(r)) throw new Error(`expected Right, got Left: ${r.left.reason}`);
  return r.right;
}

function reason<A>(r: E.Either<CheckpointError, A>): string {
  if (E.isRight(r)) throw new Error('expected Left, got Right');
  expect(r.left).toBeInstanceOf(CheckpointError);
  expect(r.left.message).toBe(r.left.reason);
  return r.left.reason;
}

const tempFiles = () => fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));

/** Asserts two pytrees have the same structure, and leaves of the same kind, dtype, shape and values. */
function expectSameTree(a: unknown, b: unknown): void {
  expect(tree.structure(a).equals(tree.structure(b))).toBe(true);
  const la = tree.leaves(a);
  const lb = tree.leaves(b);
  la.forEach((x, i) => {
    const y = lb[i];
    if (typeof x === 'object') {
      const ya = y as TfArray;
      expect(typeof y).toBe('object');
      expect(ya.dtype).toBe(x.dtype);
      expect(ya.shape).toEqual(x.shape);
      expect(Array.from(ya.dataSync())).toEqual(Array.from(x.dataSync()));
    } else expect(y).toBe(x);
  });
}

const params = () => ({
  layers: [
    {
      w: np.array(
        [
          [1.5, -2],
          [3, 4.25],
          [0, 1e-8],
        ],
        { dtype: 'float32' },
      ),
      b: np.array([0.1, 0.2], { dtype: 'float32' }),
    },
    { w: np.array([[Math.PI, Math.E]], { dtype: 'float64' }), mask: np.array([true, false, true]) },
  ],
  step: np.array(42, { dtype: 'int32' }),
  scale: np.array(0.5, { dtype: 'float32' }),
  empty: np.zeros([0, 3]),
  count: 7,
  lr: 0.001,
  big: 2 ** 40,
  done: true,
  nothing: null,
  missing: undefined,
  nested: { '': np.array([1, 2, 3]), 'a.b': np.array([4]), a: { b: np.array([5]) }, list: [[], {}] },
});

describe('saveCheckpoint / loadCheckpoint', () => {
  it('round-trips nested pytrees of every dtype, scalars, JS numbers and booleans, null and undefined', () => {
    const p = params();
    const path = fresh();
    const saved = right(saveCheckpoint(path, p, { metadata: { epoch: '3', note: 'hello' } }));
    expect(saved.path).toBe(path);
    expect(saved.bytes).toBe(fs.statSync(path).size);
    expect(saved.names).toEqual(tensorNames(p));
    const loaded = right(loadCheckpoint(path));
    expect(loaded.metadata).toEqual({ epoch: '3', note: 'hello' });
    expectSameTree(loaded.params, p);
    const lp = loaded.params as ReturnType<typeof params>;
    expect(lp.count).toBe(7);
    expect(lp.lr).toBe(0.001);
    expect(lp.big).toBe(2 ** 40);
    expect(lp.done).toBe(true);
    expect(lp.nothing).toBeNull();
    expect('missing' in lp && lp.missing === undefined).toBe(true);
    expect(lp.nested.list).toEqual([[], {}]);
    expect(Object.keys(loaded.tensors).sort()).toEqual([...saved.names].sort());
    expect(loaded.tensors['layers.0.w']?.dtype).toBe('float32');
    expect(loaded.tensors['layers.1.w']?.dataSync()).toEqual(new Float64Array([Math.PI, Math.E]));
    expect(loaded.tensors['layers.1.mask']?.dtype).toBe('bool');
    expect(loaded.tensors.step?.shape).toEqual([]);
    expect(loaded.tensors.count?.dtype).toBe('int32');
    expect(loaded.tensors.lr?.dtype).toBe('float64');
    expect(tempFiles()).toEqual([]);
  });

  it('the byte-level codec (browser-safe entry) gives the same bytes as the file and reads them back', async () => {
    const path = fresh();
    const p = { w: np.array([[1.5, -2]], { dtype: 'float32' }), b: np.array([3], { dtype: 'int32' }), n: 4 };
    const bytes = right(encodeCheckpoint(p, { metadata: { k: 'v' } })).bytes;
    right(saveCheckpoint(path, p, { metadata: { k: 'v' } }));
    expect(new Uint8Array(fs.readFileSync(path))).toEqual(bytes);
    expect(right(await encodeCheckpointAsync(p, { metadata: { k: 'v' } })).bytes).toEqual(bytes);
    const loaded = right(decodeCheckpoint(bytes));
    expectSameTree(loaded.params, p);
    expect(loaded.metadata).toEqual({ k: 'v' });
    const q = right(decodeParams(bytes, { w: np.zeros([1, 2], { dtype: 'float32' }), b: np.zeros([1], { dtype: 'int32' }), n: 0 }));
    expect(Array.from(q.w.dataSync())).toEqual([1.5, -2]);
    expect(q.n).toBe(4);
    expect(reason(decodeParams(bytes, { w: np.zeros([2]) }, { name: 'x.safetensors' }))).toBe(
      "x.safetensors: does not match the template: the leaf w (tensor 'w'): the template has shape [2], the file [1, 2]",
    );
    expect(reason(decodeCheckpoint(bytes.subarray(0, 5)))).toBe('<bytes>: file is 5 bytes, too short for the 8-byte header length of a safetensors file');
  });

  it('round-trips a root leaf, lists and tuples', () => {
    const path = fresh();
    const x = np.array([[1, 2]], { dtype: 'float32' });
    right(saveCheckpoint(path, x));
    expectSameTree(right(loadCheckpoint(path)).params, x);
    right(saveCheckpoint(path, [x, [x, 3]]));
    expectSameTree(right(loadCheckpoint(path)).params, [x, [x, 3]]);
    expect(Object.keys(right(loadCheckpoint(path)).tensors)).toEqual(['0', '1.0', '1.1']);
  });

  it('names tensors with dotted tree paths', () => {
    expect(tensorNameOfPath('[0].w')).toBe('0.w');
    expect(tensorNameOfPath('layers[0].weight')).toBe('layers.0.weight');
    expect(tensorNameOfPath("a['x.y']")).toBe('a.x%2Ey');
    expect(tensorNameOfPath("['100%']")).toBe('100%25');
    expect(tensorNameOfPath("['it\\'s']")).toBe("it's");
    expect(tensorNameOfPath('__metadata__')).toBe('%5F_metadata__');
    expect(tensorNameOfPath('')).toBe('');
    expect(tensorNames({ layers: [{ w: 1, b: 2 }], __metadata__: 3 })).toEqual(['%5F_metadata__', 'layers.0.b', 'layers.0.w']);
    const path = fresh();
    right(saveCheckpoint(path, { __metadata__: np.array([1]) }));
    expect(right(loadCheckpoint(path)).tensors['%5F_metadata__']?.shape).toEqual([1]);
  });

  it('writes the safetensors layout: u64 LE header length, 8-aligned JSON header, contiguous LE data', () => {
    const path = fresh();
    right(saveCheckpoint(path, { w: np.array([1, 2, 3], { dtype: 'float32' }), b: np.array([7], { dtype: 'int32' }) }));
    const bytes = fs.readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header.b).toEqual({ dtype: 'I32', shape: [1], data_offsets: [0, 4] });
    expect(header.w).toEqual({ dtype: 'F32', shape: [3], data_offsets: [4, 16] });
    expect(JSON.parse(header.__metadata__[TREE_METADATA_KEY])).toEqual({
      dict: [
        ['b', 'b'],
        ['w', 'w'],
      ],
    });
    expect(bytes.length).toBe(8 + n + 16);
    expect(bytes.readInt32LE(8 + n)).toBe(7);
    expect(bytes.readFloatLE(8 + n + 4)).toBe(1);
    expect(bytes.readFloatLE(8 + n + 12)).toBe(3);
  });

  it('loads a file written by hand per the spec (no tenfold metadata)', () => {
    const header = JSON.stringify({
      bias: { dtype: 'F32', shape: [2], data_offsets: [24, 32] },
      weight: { dtype: 'F64', shape: [1, 3], data_offsets: [0, 24] },
      __metadata__: { format: 'pt' },
    });
    const padded = header + ' '.repeat((8 - ((8 + header.length) % 8)) % 8);
    const buf = Buffer.alloc(8 + padded.length + 32);
    buf.writeBigUInt64LE(BigInt(padded.length), 0);
    buf.write(padded, 8, 'utf8');
    const at = 8 + padded.length;
    [0.5, -1, 2].forEach((v, i) => {
      buf.writeDoubleLE(v, at + 8 * i);
    });
    buf.writeFloatLE(3, at + 24);
    buf.writeFloatLE(4, at + 28);
    const path = fresh('hand');
    fs.writeFileSync(path, buf);
    const loaded = right(loadCheckpoint(path));
    expect(loaded.params).toBeUndefined();
    expect(loaded.metadata).toEqual({ format: 'pt' });
    expect(loaded.tensors.weight?.dtype).toBe('float64');
    expect(loaded.tensors.weight?.shape).toEqual([1, 3]);
    expect(Array.from(loaded.tensors.weight?.dataSync() ?? [])).toEqual([0.5, -1, 2]);
    expect(Array.from(loaded.tensors.bias?.dataSync() ?? [])).toEqual([3, 4]);
    // and into a template
    const p = right(loadParams(path, { weight: np.zeros([1, 3], { dtype: 'float64' }), bias: np.zeros([2]) }));
    expect(Array.from(p.bias.dataSync())).toEqual([3, 4]);
    // an unpadded header is accepted too
    const raw = Buffer.concat([Buffer.alloc(8), Buffer.from('{"x":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}'), Buffer.from([9, 0, 0, 0])]);
    raw.writeBigUInt64LE(BigInt(raw.length - 12), 0);
    const d = right(decodeSafetensors(raw));
    expect(d.tensors[0]?.name).toBe('x');
    expect(Array.from(d.tensors[0]?.data ?? [])).toEqual([9]);
  });

  it('rebuilds JS number leaves exactly: -0 stays -0, non-integers and large integers as F64', async () => {
    const p = { negZero: -0, zero: 0, one: -1, half: -0.5, nan: Number.NaN, inf: Number.NEGATIVE_INFINITY, big: -(2 ** 31) - 1 };
    const path = fresh('numbers');
    right(saveCheckpoint(path, p));
    const loaded = right(loadCheckpoint(path));
    const lp = loaded.params as typeof p;
    expect(Object.is(lp.negZero, -0)).toBe(true);
    expect(Object.is(lp.zero, 0)).toBe(true);
    expect(lp).toEqual(p); // toEqual tells -0 from 0 and treats NaN as equal to NaN
    expect(loaded.tensors.negZero?.dtype).toBe('float64');
    expect(loaded.tensors.zero?.dtype).toBe('int32');
    expect(loaded.tensors.one?.dtype).toBe('int32');
    expect(Object.is(right(loadParams(path, { ...p, negZero: 1 })).negZero, -0)).toBe(true);
    const pathAsync = fresh('numbers-async');
    right(await saveCheckpointAsync(pathAsync, { x: -0 }));
    expect(Object.is((right(loadCheckpoint(pathAsync)).params as { x: number }).x, -0)).toBe(true);
  });

  it('saveCheckpointAsync round-trips', async () => {
    const p = { a: np.array([1, 2], { dtype: 'float32' }), n: 3 };
    const path = fresh();
    right(await saveCheckpointAsync(path, p));
    expectSameTree(right(loadCheckpoint(path)).params, p);
  });

  it('rejects bad params and metadata', () => {
    const path = fresh();
    expect(reason(saveCheckpoint(path, { a: 'text' }))).toMatch(/cannot save the checkpoint: .*unsupported value at a: a string/);
    expect(reason(saveCheckpoint(path, { a: np.zeros([1]) }, { metadata: { 'tenfold.tree': 'x' } }))).toContain("metadata key 'tenfold.tree' is reserved");
    expect(reason(saveCheckpoint(path, {}, { metadata: { a: 1 as unknown as string } }))).toContain('metadata: a: expected a string, found 1');
    const disposed = np.zeros([2]);
    disposed.dispose();
    expect(reason(saveCheckpoint(path, { w: disposed }))).toContain('cannot read the leaf at w');
    expect(fs.existsSync(path)).toBe(false);
    expect(tempFiles()).toEqual([]);
  });
});

/** A valid file with tensors a (F32 [2]) and b (I32 [1]) whose header JSON is `header` (spaces pad it). */
function withHeader(header: unknown, dataBytes = 12): Uint8Array {
  const json = typeof header === 'string' ? header : JSON.stringify(header);
  const buf = Buffer.alloc(8 + json.length + dataBytes);
  buf.writeBigUInt64LE(BigInt(json.length), 0);
  buf.write(json, 8, 'latin1');
  return buf;
}

const good = {
  a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  b: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
};

describe('corrupt files are rejected with the reason', () => {
  const check = (bytes: Uint8Array) => reason(decodeSafetensors(bytes, 'f'));

  it('accepts the reference file', () => {
    expect(right(decodeSafetensors(withHeader(good))).tensors.map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('bad JSON, non-object header, bad UTF-8', () => {
    expect(check(withHeader('{"a": {'))).toMatch(/^f: the header is not valid JSON: /);
    expect(check(withHeader('[1, 2]', 0))).toBe('f: the header must be a JSON object, found [1,2]');
    const bad = withHeader('{"\xff": 1}', 0);
    expect(check(bad)).toBe('f: the header is not valid UTF-8');
  });

  it('bad dtype, unsupported dtype, bad shape, bad offsets, size mismatch', () => {
    expect(check(withHeader({ ...good, b: { ...good.b, dtype: 'X32' } }))).toBe(
      'f: tensor \'b\': dtype: expected one of BOOL, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, F8_E4M3, F8_E5M2, found "X32"',
    );
    expect(check(withHeader({ ...good, b: { dtype: 'F16', shape: [2], data_offsets: [8, 12] } }))).toBe(
      "f: tensor 'b' has dtype F16; tenfold reads only F32, F64, I32 and BOOL",
    );
    expect(check(withHeader({ ...good, a: { ...good.a, shape: [-2] } }))).toBe("f: tensor 'a': shape: expected a list of non-negative integers, found [-2]");
    expect(check(withHeader({ ...good, a: { ...good.a, shape: [1.5] } }))).toContain("tensor 'a': shape: expected a list of non-negative integers");
    expect(check(withHeader({ ...good, a: { ...good.a, data_offsets: [8, 0] } }))).toContain(
      "tensor 'a': data_offsets: expected data_offsets [begin, end]: two non-negative integers with begin <= end, found [8,0]",
    );
    expect(check(withHeader({ ...good, a: { dtype: 'F32', shape: [2] } }))).toContain("tensor 'a': data_offsets: expected data_offsets");
    expect(check(withHeader({ ...good, a: 5 }))).toContain("tensor 'a': expected");
    expect(check(withHeader({ ...good, a: { ...good.a, shape: [3] } }))).toBe("f: tensor 'a': F32 of shape [3] needs 12 bytes but data_offsets [0, 8] span 8");
    expect(check(withHeader({ ...good, __metadata__: { k: 1 } }))).toBe('f: __metadata__: k: expected a string, found 1');
    expect(check(withHeader({ ...good, __metadata__: [] }))).toBe('f: __metadata__: expected an object of string values, found []');
  });

  it('overlapping, gapped, out-of-range and short-covering offsets', () => {
    expect(check(withHeader({ a: good.a, b: { dtype: 'I32', shape: [1], data_offsets: [4, 8] } }, 8))).toBe(
      "f: tensor 'b': data_offsets [4, 8] overlap tensor 'a' (which ends at 8)",
    );
    expect(check(withHeader({ a: good.a, b: { dtype: 'I32', shape: [1], data_offsets: [12, 16] } }, 16))).toBe(
      "f: tensor 'b': data_offsets [12, 16] leave a gap: the previous tensor ends at 8",
    );
    expect(check(withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12))).toContain('leave a gap: the previous tensor ends at 0');
    expect(check(withHeader({ ...good, b: { dtype: 'I32', shape: [2], data_offsets: [8, 16] } }))).toBe(
      "f: tensor 'b': data_offsets [8, 16] run past the end of the data buffer (12 bytes; truncated file?)",
    );
    expect(check(withHeader(good, 20))).toBe('f: the tensors cover 12 bytes but the data buffer has 20 (trailing bytes)');
  });

  it('truncated files and insane header lengths', () => {
    const path = fresh();
    right(saveCheckpoint(path, { w: np.ones([10]) }));
    const bytes = fs.readFileSync(path);
    const cut = fresh('cut');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
    expect(reason(loadCheckpoint(cut))).toBe(`${cut}: tensor 'w': data_offsets [0, 40] run past the end of the data buffer (35 bytes; truncated file?)`);
    fs.writeFileSync(cut, bytes.subarray(0, 20));
    expect(reason(loadCheckpoint(cut))).toMatch(/the header length is \d+ bytes but the file has only 12 bytes after the 8-byte length \(truncated/);
    fs.writeFileSync(cut, bytes.subarray(0, 5));
    expect(reason(loadCheckpoint(cut))).toBe(`${cut}: file is 5 bytes, too short for the 8-byte header length of a safetensors file`);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 63n, 0);
    expect(check(huge)).toBe('f: the header length is 9223372036854775808 bytes, more than the 100000000 allowed (not a safetensors file?)');
    expect(reason(loadCheckpoint(join(dir, 'nope.safetensors')))).toContain('cannot read the checkpoint: ENOENT');
  });

  it('a corrupt tree description', () => {
    const bad = (tree: string) => {
      const path = fresh('tree');
      const bytes = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], data: new Float32Array([1]) }], { [TREE_METADATA_KEY]: tree });
      fs.writeFileSync(path, bytes);
      return reason(loadCheckpoint(path));
    };
    expect(bad('{')).toContain('tenfold.tree is not valid JSON');
    expect(bad('{"dict": 5}')).toContain('tenfold.tree is not a tree description');
    expect(bad('{"dict": [["w", "v"]]}')).toContain("tenfold.tree names the tensor 'v', which is not in the file");
    expect(bad('{"dict": [["w", {"bool": "w"}]]}')).toContain("tensor 'w' should hold a JS boolean");
    expect(bad('[]')).toContain("the tensor 'w' is not part of the tree");
  });
});

describe('the tenfold format version', () => {
  /** A one-tensor file { w: F32 [1] } whose metadata says format `version`. */
  const fileOfVersion = (version: string, withTree = true) => {
    const path = fresh('version');
    const meta: Record<string, string> = { 'tenfold.format': version, ...(withTree ? { [TREE_METADATA_KEY]: '{"dict": [["w", "w"]]}' } : {}) };
    fs.writeFileSync(path, encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], data: new Float32Array([2]) }], meta));
    return path;
  };
  const template = { w: np.zeros([1]) };

  it('loadCheckpoint and loadParams reject another version with the same message', () => {
    const path = fileOfVersion('2');
    const expected = `${path}: tenfold.format is "2"; this version of tenfold reads 1 (load the file with the tenfold version that wrote it)`;
    expect(reason(loadCheckpoint(path))).toBe(expected);
    expect(reason(loadParams(path, template))).toBe(expected);
    // also without a tree description: loadParams never reads one
    const noTree = fileOfVersion('0', false);
    expect(reason(loadParams(noTree, template))).toBe(
      `${noTree}: tenfold.format is "0"; this version of tenfold reads 1 (load the file with the tenfold version that wrote it)`,
    );
    expect(reason(loadCheckpoint(noTree))).toContain('tenfold.format is "0"');
  });

  it('version 1, or no version (another library), loads', () => {
    expect(Array.from(right(loadParams(fileOfVersion('1'), template)).w.dataSync())).toEqual([2]);
    expect(Array.from((right(loadCheckpoint(fileOfVersion('1'))).params as typeof template).w.dataSync())).toEqual([2]);
    const path = fresh('no-version');
    fs.writeFileSync(path, encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], data: new Float32Array([3]) }], {}));
    expect(Array.from(right(loadParams(path, template)).w.dataSync())).toEqual([3]);
  });
});

describe('atomic saves', () => {
  it('a failed write leaves the previous checkpoint intact and no temporary file', () => {
    const path = fresh('atomic');
    right(saveCheckpoint(path, { w: np.array([1, 2, 3], { dtype: 'float32' }) }));
    const before = fs.readFileSync(path);
    let calls = 0;
    hooks.writeSync = (...args: unknown[]) => {
      if (calls++ > 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const [fd, buf, off] = args as [number, Uint8Array, number];
      return fs.writeSync(fd, buf.subarray(off, off + 10)); // a partial write, then the disk is full
    };
    const r = saveCheckpoint(path, { w: np.array([4, 5, 6, 7, 8, 9, 10, 11], { dtype: 'float32' }) });
    expect(reason(r)).toBe(`${path}: cannot save the checkpoint: ENOSPC: no space left on device, write (any previous file at this path is unchanged)`);
    expect(calls).toBe(2);
    expect(fs.readFileSync(path)).toEqual(before);
    expect(tempFiles()).toEqual([]);
    expectSameTree(right(loadCheckpoint(path)).params, { w: np.array([1, 2, 3], { dtype: 'float32' }) });
  });

  it('a failed rename leaves the previous checkpoint intact and no temporary file', () => {
    const path = fresh('atomic');
    right(saveCheckpoint(path, { w: np.array([1], { dtype: 'float32' }) }));
    const before = fs.readFileSync(path);
    hooks.renameSync = () => {
      throw new Error('EIO: i/o error, rename');
    };
    expect(reason(saveCheckpoint(path, { w: np.array([2], { dtype: 'float32' }) }))).toContain('EIO: i/o error, rename');
    expect(fs.readFileSync(path)).toEqual(before);
    expect(tempFiles()).toEqual([]);
  });

  it('a directory in the way is left intact', () => {
    const path = fresh('isdir');
    fs.mkdirSync(path);
    fs.writeFileSync(join(path, 'keep'), 'x');
    expect(reason(saveCheckpoint(path, { w: np.ones([2]) }))).toMatch(/cannot save the checkpoint: E(ISDIR|NOTEMPTY|EXIST)/);
    expect(fs.statSync(path).isDirectory()).toBe(true);
    expect(fs.readFileSync(join(path, 'keep'), 'utf8')).toBe('x');
    expect(tempFiles()).toEqual([]);
  });

  it('overwrites an existing checkpoint on success', () => {
    const path = fresh('over');
    right(saveCheckpoint(path, { w: np.ones([2]) }));
    right(saveCheckpoint(path, { w: np.zeros([3]) }));
    expect(right(loadCheckpoint(path)).tensors.w?.shape).toEqual([3]);
  });
});

describe('loadParams', () => {
  const path = fresh('params');
  const saved = { layers: [{ w: np.ones([2, 3]), b: np.zeros([3]) }], step: 5, flag: false };
  right(saveCheckpoint(path, saved));

  it('loads into the template structure', () => {
    const template = { layers: [{ w: np.zeros([2, 3]), b: np.ones([3]) }], step: 0, flag: true };
    const p = right(loadParams(path, template));
    expectSameTree(p, saved);
    expect(p.step).toBe(5);
    expect(p.flag).toBe(false);
  });

  it('names the first mismatch', () => {
    const base = () => ({ layers: [{ w: np.zeros([2, 3]), b: np.zeros([3]) }], step: 0, flag: true }) as Record<string, unknown>;
    expect(reason(loadParams(path, { ...base(), layers: [{ w: np.zeros([2, 3]), b: np.zeros([4]) }] }))).toBe(
      `${path}: does not match the template: the leaf layers[0].b (tensor 'layers.0.b'): the template has shape [4], the file [3]`,
    );
    expect(reason(loadParams(path, { ...base(), layers: [{ w: np.zeros([2, 3], { dtype: 'float64' }), b: np.zeros([3]) }] }))).toBe(
      `${path}: does not match the template: the leaf layers[0].w (tensor 'layers.0.w'): the template has dtype float64 (F64), the file F32`,
    );
    expect(reason(loadParams(path, { ...base(), extra: np.zeros([1]) }))).toBe(
      `${path}: does not match the template: the leaf extra (tensor 'extra') is not in the file`,
    );
    const { flag: _, ...noFlag } = base();
    expect(reason(loadParams(path, noFlag))).toBe(`${path}: does not match the template: the file has the tensor 'flag' (BOOL []), which the template lacks`);
    expect(reason(loadParams(path, { ...base(), step: np.zeros([]) }))).toContain(
      "the leaf step (tensor 'step'): the template has dtype float32 (F32), the file I32",
    );
    expect(reason(loadParams(path, { ...base(), flag: 1 }))).toContain("the leaf flag (tensor 'flag'): the template has a JS number, the file BOOL []");
    expect(reason(loadParams(path, { ...base(), layers: np.zeros([1]) }))).toContain("the leaf layers (tensor 'layers') is not in the file");
    expect(reason(loadParams(path, new Map()))).toContain('the template is not a pytree');
  });
});
