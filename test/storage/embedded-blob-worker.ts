// A separate process that puts blobs through the embedded blob store into a shared data directory
// (argv: database, blob root, name, count): some as rows, some as files. Used by embedded-blob.test.ts.
import { SqliteBlob } from '../../src/storage/sqlite/sqlite-blob.js';
import { FsBlob } from '../../src/storage/fs/fs-blob.js';
import { EmbeddedBlob } from '../../src/storage/embedded-blob.js';
import { RetryingBlob } from '../../src/storage/retrying.js';

const [database, root, name, count] = process.argv.slice(2);
if (database === undefined || root === undefined || name === undefined || count === undefined) throw new Error('usage: database root name count');
// Objects above 100 bytes are files: both places are written while the other process writes too.
const store = new RetryingBlob(new EmbeddedBlob(new SqliteBlob(database), new FsBlob(root), { smallMaxBytes: 100 }));
let written = 0;
for (let i = 0; i < Number(count); i++) {
  const body = Buffer.from(`${name} message ${i}`.padEnd(64 + i, '.'));
  await store.put(`w/${name}/${String(i).padStart(4, '0')}`, body, body.length);
  written++;
}
await store.close();
process.stdout.write(JSON.stringify({ written }));
