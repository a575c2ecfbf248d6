// check.mjs reads dualssl files with the JavaScript builds of the engines the
// README shows from Python, and checks that they all see the same data:
//
//   - apache-arrow (the JS twin of pyarrow): schema metadata, column types;
//   - nodejs-polars: readIPCStream for a .arrows stream, readIPC for a .arrow
//     file (the Rust engine behind Python's polars);
//   - DuckDB-wasm: insertArrowFromIPCStream (a .arrow file is first re-framed
//     as a stream by apache-arrow), no extension download;
//   - native DuckDB (@duckdb/node-api): it has no Arrow scan in Node, so it
//     queries the Parquet file polars writes from the data;
//   - dualssl itself: the JSON lines `dualssl-cat --jsonl --head 0` printed
//     (FILE.jsonl beside each FILE; NaN prints as null there).
//
// For every file it prints the kind, format, row count and column types, and
// per column a checksum (numbers: the sum of the finite values and the count
// of NaN; lists: the same over every element; strings: the number of
// distinct values; booleans: the number of true values), rounded to 6
// significant digits (below 1e-9: 0). It exits 1 if any engine disagrees with dualssl's own
// reading beyond 1e-9 relative. Queries of the README run as well.
//
// Usage: node check.mjs FILE...
//        node check.mjs --polars-write IN OUT   (polars reads IN and writes it
//                                                 to OUT as an IPC stream, as a
//                                                 Python program would: no
//                                                 dualssl metadata)
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as arrow from "apache-arrow";
import pl from "nodejs-polars";
import { DuckDBInstance } from "@duckdb/node-api";

if (process.argv[2] === "--polars-write") {
  const df = pl.readIPCStream(fs.readFileSync(process.argv[3]));
  df.writeIPCStream(process.argv[4]);
  process.exit(0);
}

const require = createRequire(import.meta.url);
const duckwasm = require("@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs");

let failed = false;
function fail(msg) {
  console.log("FAIL " + msg);
  failed = true;
}

// round prints a checksum to 6 significant digits, and round-off (below
// 1e-9) as 0, so the golden summary holds on any CPU's kernels.
function round(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) < 1e-9) return "0";
  return Number(v.toPrecision(6)).toString();
}

// close compares two checksums: exact for counts, 1e-9 relative for sums.
function close(a, b) {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

// columnKind classifies an apache-arrow type.
function columnKind(t) {
  if (arrow.DataType.isFixedSizeList(t) || arrow.DataType.isList(t)) {
    return { list: true, elem: columnKind(t.children[0].type).elem };
  }
  if (arrow.DataType.isUtf8(t) || arrow.DataType.isLargeUtf8(t)) return { list: false, elem: "string" };
  if (arrow.DataType.isBool(t)) return { list: false, elem: "bool" };
  return { list: false, elem: "number" };
}

// fromJSONL computes the checksums from dualssl-cat's JSON lines.
function fromJSONL(file, fields) {
  const sums = {};
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
  for (const f of fields) {
    const k = columnKind(f.type);
    const vals = [];
    for (const l of lines) {
      const v = JSON.parse(l)[f.name];
      if (k.list) for (const e of v) vals.push(e);
      else vals.push(v);
    }
    if (k.elem === "string") sums[f.name] = [new Set(vals).size];
    else if (k.elem === "bool") sums[f.name] = [vals.filter((v) => v).length];
    else {
      let s = 0, nan = 0;
      for (const v of vals) {
        if (v === null) nan++;
        else s += Number(v);
      }
      sums[f.name] = [s, nan];
    }
  }
  return { rows: lines.length, sums };
}

// fromPolars computes the checksums with nodejs-polars.
function fromPolars(df, fields) {
  const sums = {};
  for (const f of fields) {
    const k = columnKind(f.type);
    let c = pl.col(f.name);
    if (k.list) c = c.explode();
    if (k.elem === "string") sums[f.name] = [Number(df.select(c.nUnique()).row(0)[0])];
    else if (k.elem === "bool") sums[f.name] = [Number(df.select(c.cast(pl.Int64).sum()).row(0)[0])];
    else {
      const r = df.select(
        c.cast(pl.Float64).fillNan(0).sum().alias("s"),
        c.cast(pl.Float64).isNan().sum().alias("n"),
      ).row(0);
      sums[f.name] = [Number(r[0]), Number(r[1])];
    }
  }
  return { rows: df.height, sums };
}

// sqlChecksums is one SQL query for the checksums, for both DuckDBs.
function sqlChecksums(table, fields) {
  const parts = ["count(*)"];
  for (const f of fields) {
    const k = columnKind(f.type);
    const q = `"${f.name}"`;
    if (k.list) {
      const e = `unnest(CAST(${q} AS DOUBLE[]))`;
      parts.push(`(SELECT sum(CASE WHEN isnan(v) THEN 0 ELSE v END) FROM (SELECT ${e} AS v FROM ${table}))`);
      parts.push(`(SELECT count(*) FILTER (WHERE isnan(v)) FROM (SELECT ${e} AS v FROM ${table}))`);
    } else if (k.elem === "string") {
      parts.push(`count(DISTINCT ${q})`);
    } else if (k.elem === "bool") {
      parts.push(`count(*) FILTER (WHERE ${q})`);
    } else {
      parts.push(`sum(CASE WHEN isnan(CAST(${q} AS DOUBLE)) THEN 0 ELSE CAST(${q} AS DOUBLE) END)`);
      parts.push(`count(*) FILTER (WHERE isnan(CAST(${q} AS DOUBLE)))`);
    }
  }
  return `SELECT ${parts.join(", ")} FROM ${table}`;
}

function unpackSQL(values, fields) {
  const v = values.map((x) => (x === null ? 0 : Number(x)));
  const sums = {};
  let i = 1;
  for (const f of fields) {
    const k = columnKind(f.type);
    // A list (of bool too) is summed as DOUBLE[], with a NaN count.
    if (!k.list && (k.elem === "string" || k.elem === "bool")) sums[f.name] = [v[i++]];
    else {
      sums[f.name] = [v[i], v[i + 1]];
      i += 2;
    }
  }
  return { rows: v[0], sums };
}

function compare(file, engine, got, want, fields) {
  if (got.rows !== want.rows) fail(`${file}: ${engine} sees ${got.rows} rows, dualssl ${want.rows}`);
  for (const f of fields) {
    const a = got.sums[f.name], b = want.sums[f.name];
    for (let j = 0; j < b.length; j++) {
      if (!close(a[j], b[j])) fail(`${file}: column ${f.name}: ${engine} gives ${a[j]}, dualssl ${b[j]}`);
    }
  }
}

const dist = path.dirname(require.resolve("@duckdb/duckdb-wasm/dist/duckdb-node-blocking.cjs"));
const wasm = await duckwasm.createDuckDB(
  {
    mvp: { mainModule: path.join(dist, "duckdb-mvp.wasm"), mainWorker: path.join(dist, "duckdb-node-mvp.worker.cjs") },
    eh: { mainModule: path.join(dist, "duckdb-eh.wasm"), mainWorker: path.join(dist, "duckdb-node-eh.worker.cjs") },
  },
  new duckwasm.VoidLogger(),
  duckwasm.NODE_RUNTIME,
);
await wasm.instantiate();
const wconn = wasm.connect();
const native = await (await DuckDBInstance.create(":memory:")).connect();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dualssl-interop-"));

let n = 0;
for (const file of process.argv.slice(2)) {
  const bytes = fs.readFileSync(file);
  const isFile = bytes.subarray(0, 6).toString("latin1") === "ARROW1";
  // apache-arrow, as pyarrow: ipc.open_stream(...).read_all() / open_file.
  const table = arrow.tableFromIPC(bytes);
  const meta = table.schema.metadata;
  const fields = table.schema.fields;
  const cols = fields.map((f) => `${f.name}:${f.type}`).join(", ");
  const model = meta.has("dualssl.model") ? "a model" : "no model key";
  if (meta.get("dualssl.model") === "") fail(`${file}: an empty dualssl.model (a table of no single model has no key)`);
  console.log(`${file}: ${isFile ? "IPC file" : "IPC stream"}, kind ${meta.get("dualssl.kind")}, format ${meta.get("dualssl.format")}, ${model}, ${table.numRows} rows`);
  console.log(`  columns ${cols}`);
  const want = fromJSONL(file + ".jsonl", fields);
  compare(file, "apache-arrow", { rows: table.numRows, sums: want.sums }, want, fields);

  // polars: read_ipc_stream / read_ipc.
  const df = isFile ? pl.readIPC(bytes) : pl.readIPCStream(bytes);
  compare(file, "polars", fromPolars(df, fields), want, fields);

  // DuckDB-wasm: the stream as it is; a file re-framed as a stream.
  const name = `t${n++}`;
  const stream = isFile ? arrow.tableToIPC(table, "stream") : bytes;
  wconn.insertArrowFromIPCStream(stream, { name });
  const wres = wconn.query(sqlChecksums(name, fields)).toArray()[0].toArray();
  compare(file, "duckdb-wasm", unpackSQL(Array.from(wres), fields), want, fields);

  // Native DuckDB on the Parquet polars writes.
  const pq = path.join(tmp, name + ".parquet");
  df.writeParquet(pq);
  const nres = await native.runAndReadAll(sqlChecksums(`read_parquet('${pq}')`, fields));
  compare(file, "duckdb", unpackSQL(nres.getRows()[0], fields), want, fields);

  for (const f of fields) {
    console.log(`  ${f.name}: ${want.sums[f.name].map(round).join(" ")}`);
  }

  // The README's Python blocks, each quoted verbatim above its JavaScript
  // twin (pkg/cli/e2e TestReadmeTwins compares the quotes with README.md),
  // on every file of the block's kind; the results are golden.
  const kind = meta.get("dualssl.kind");
  if (kind === "views") {
    // README twin "pyarrow":
    //   import json, numpy as np, pyarrow.ipc as ipc
    //   t = ipc.open_stream("demo/views.arrows").read_all()
    //   meta = {k.decode(): v.decode() for k, v in t.schema.metadata.items()}
    //   model = json.loads(meta["dualssl.model"])                 # depth, children, polarity
    //   leaves = t.schema.field("x_a").type.list_size
    //   x_a = t.column("x_a").combine_chunks().flatten().to_numpy(zero_copy_only=False).reshape(-1, leaves)   # bool
    //   x_a = x_a.astype(np.float32)                              # 0.0/1.0, e.g. for torch.from_numpy(x_a)
    const model = JSON.parse(meta.get("dualssl.model"));
    const xaType = fields.find((f) => f.name === "x_a").type;
    const leaves = xaType.listSize;
    // flatten().to_numpy(zero_copy_only=False): a bool list unpacks to one
    // bool per value (Arrow JS's get reads the bitmap, as pyarrow does),
    // an int8 list to its bytes; then astype(np.float32).
    const dtype = arrow.DataType.isBool(xaType.children[0].type) ? "bool" : "int8";
    const xa = Float32Array.from(Array.from(table.getChild("x_a")).flatMap((row) => Array.from(row, Number)));
    const ones = xa.reduce((a, v) => a + v, 0);
    if (xa.length !== table.numRows * leaves || xa.some((v) => v !== 0 && v !== 1)) fail(`${file}: x_a does not flatten to ${table.numRows}×${leaves} values 0/1`);
    if (!close(ones, want.sums.x_a[0])) fail(`${file}: x_a flattened sums to ${ones}, dualssl ${want.sums.x_a[0]}`);
    console.log(`  README pyarrow: model depth ${model.depth}, children ${model.children}, ${model.polarity.length} polarities; x_a ${xa.length / leaves}x${leaves} ${dtype} as float32, ${ones} ones`);

    // README twin "polars":
    //   import polars as pl
    //   views = pl.read_ipc_stream("demo/views.arrows")
    //   views.group_by("key").len()
    //   probe = pl.read_ipc_stream("demo/probe.arrows")
    //   probe.filter(pl.col("epoch") == pl.col("epoch").max()).group_by("level").agg(pl.col("best_abs_corr").mean())
    const byKeyPolars = df.groupBy("key").len().sort("key").rows().map((r) => r.map(Number).join(":"));
    console.log(`  README polars: rows per key (key:rows): ${byKeyPolars.join(" ")}`);

    // README twin "duckdb":
    //   import duckdb, pyarrow.ipc as ipc
    //   views = ipc.open_stream("demo/views.arrows").read_all()
    //   duckdb.sql("SELECT key, count(*) FROM views GROUP BY key ORDER BY key").show()
    const byKeyWasm = wconn.query(`SELECT key, count(*) FROM ${name} GROUP BY key ORDER BY key`).toArray().map((r) => r.toArray().map(Number).join(":"));
    if (byKeyPolars.join(" ") !== byKeyWasm.join(" ")) fail(`${file}: views per key: polars ${byKeyPolars}, duckdb ${byKeyWasm}`);
    console.log(`  README duckdb: rows per key (key:rows): ${byKeyWasm.join(" ")}`);
  }
  if (kind === "probe" && fields.some((f) => f.name === "best_abs_corr")) {
    // The second half of the README's "polars" block (above), checked against DuckDB.
    const last = df.filter(pl.col("epoch").eq(pl.col("epoch").max()))
      .groupBy("level").agg(pl.col("best_abs_corr").mean()).sort("level")
      .rows().map((r) => `${r[0]}:${round(r[1])}`);
    const sql = `SELECT level, avg(best_abs_corr) FROM ${name} WHERE epoch = (SELECT max(epoch) FROM ${name}) GROUP BY level ORDER BY level`;
    const lastSQL = wconn.query(sql).toArray().map((r) => r.toArray()).map((r) => `${r[0]}:${round(Number(r[1]))}`);
    if (last.join(" ") !== lastSQL.join(" ")) fail(`${file}: last epoch per level: polars ${last}, duckdb ${lastSQL}`);
    console.log(`  README polars: last epoch, mean best |corr| per level: ${last.join(" ")}`);
  }
  if (kind === "sweep") {
    // README twin "polars-sweep":
    //   import polars as pl
    //   t = pl.read_ipc_stream("runs/sweep.arrows").filter(pl.col("kind") == "probe")
    //   last = t.filter(pl.col("epoch") == pl.col("epoch").max().over("run"))
    //   print(last.group_by("hid", "loss", "level").agg(pl.col("best_abs_corr").mean()).sort("hid", "loss", "level"))
    const t = df.filter(pl.col("kind").eq(pl.lit("probe")));
    const last = t.filter(pl.col("epoch").eq(pl.col("epoch").max().over("run")));
    const rows = last.groupBy(["hid", "loss", "level"]).agg(pl.col("best_abs_corr").mean()).sort(["hid", "loss", "level"])
      .rows().map((r) => `${r[0]}/${r[1]}/${r[2]}:${round(r[3])}`);
    const sql = `SELECT hid, loss, level, avg(best_abs_corr) FROM ${name} s WHERE kind = 'probe' AND epoch = ` +
      `(SELECT max(epoch) FROM ${name} r WHERE r.kind = 'probe' AND r.run = s.run) GROUP BY hid, loss, level ORDER BY hid, loss, level`;
    const rowsSQL = wconn.query(sql).toArray().map((r) => r.toArray()).map((r) => `${r[0]}/${r[1]}/${r[2]}:${round(Number(r[3]))}`);
    if (rows.join(" ") !== rowsSQL.join(" ")) fail(`${file}: sweep, last epoch per hid, loss, level: polars ${rows}, duckdb ${rowsSQL}`);
    console.log(`  README polars-sweep: last epoch, mean best |corr| per hid/loss/level: ${rows.join(" ")}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(failed ? "some engines disagree" : "all engines agree with dualssl");
process.exit(failed ? 1 : 0);
