import { Type, type Static } from '@sinclair/typebox';
import { ModeSchema, OnErrorSchema } from '../../config/common.js';

const MiB = 1_048_576;

const MediaRange = Type.String({ pattern: '^[a-z0-9][a-z0-9!#$&^_.+-]*/(\\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$', description: 'A media type in lower case, or a range such as image/*.' });
const Extension = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,15}$', description: 'A file-name extension in lower case, without the dot.' });

/** clamd's address: `tcp://host:port` or `unix:/path/to/clamd.ctl`. */
const ClamdAddress = Type.String({ pattern: '^(tcp://[^\\s/]+:[0-9]{1,5}|unix:/\\S+)$', description: 'Where clamd listens: tcp://127.0.0.1:3310 (its TCPSocket) or unix:/run/clamav/clamd.ctl (its LocalSocket).' });

const ScanSchema = Type.Object({
  clamd: ClamdAddress,
  timeoutMs: Type.Integer({ minimum: 100, maximum: 300_000, default: 15_000, description: 'How long clamd may take to answer once the last byte of a file is sent (connection included); past it the scan counts as unavailable.' }),
  maxSize: Type.Integer({ minimum: 1, default: 25 * MiB, description: 'The largest file sent to clamd. A larger file cannot be scanned and is refused (413 PCL_UPLOAD_TOO_LARGE). Keep it at or below clamd\'s StreamMaxLength (25 MiB by default).' }),
  onUnavailable: Type.Union([Type.Literal('fail-closed'), Type.Literal('fail-open')], {
    default: 'fail-closed',
    description: 'When clamd cannot be reached, times out or answers an error: fail-closed refuses the upload (503 PCL_UPLOAD_SCAN_UNAVAILABLE); fail-open lets it through unscanned with an upload.unscanned event.',
  }),
  cache: Type.Object({
    maxEntries: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 10_000, description: 'Verdicts remembered by the file\'s SHA-256 (least recently used dropped first); 0 turns the cache off.' }),
    ttlSeconds: Type.Integer({ minimum: 1, default: 3600, description: 'How long a verdict is trusted: a signature update may turn a clean file into a detected one.' }),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false, description: 'Malware scanning with ClamAV through clamd\'s INSTREAM command, while the file streams in.' });

const SpoolSchema = Type.Object({
  thresholdBytes: Type.Integer({ minimum: 1024, default: MiB, description: 'A body larger than this goes to disk as it is read; smaller ones stay in memory. Memory per spooled request is about this much. It must be below limits.maxBodySize and at least the waf stage\'s maxInspectBytes when that stage runs too.' }),
  dir: Type.Optional(Type.String({ minLength: 1, description: 'The directory the gateway makes its private spool directory in (mkdtemp, mode 0700; files 0600 with random names), relative to the config file. Absent: the system temp directory (os.tmpdir(), TMPDIR). Checked at load: it must exist and be writable.' })),
}, { additionalProperties: false, description: 'Write request bodies above thresholdBytes to a private temp file instead of memory, forward them from there, and remove the file when the response ends (any outcome). Absent: bodies are held in memory (bounded by limits.maxBodySize) and nothing is written to disk.' });

/** File uploads: multipart/form-data and raw binary bodies, checked by content, size and malware scan. */
export const UploadsSchema = Type.Object({
  mode: ModeSchema,
  onError: OnErrorSchema,
  types: Type.Array(MediaRange, {
    minItems: 1,
    default: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'],
    description: 'Allowed types as detected from the content (magic bytes), never as declared. A file with no known signature is text/plain when it is UTF-8 text without control characters, else application/octet-stream.',
  }),
  extensions: Type.Optional(Type.Array(Extension, { minItems: 1, description: 'Allowed extensions of the client\'s file name (lower-cased). Absent: not checked. A file without an extension is refused when this is set.' })),
  requireTypeMatch: Type.Boolean({ default: true, description: 'The declared type (the part\'s or the body\'s Content-Type) must agree with the detected one (422 PCL_UPLOAD_REJECTED). application/octet-stream declares nothing and agrees with any type; text/* agrees with text/plain.' }),
  rawTypes: Type.Array(MediaRange, {
    default: ['application/octet-stream', 'image/*', 'application/pdf'],
    description: 'Request Content-Types treated as a raw file body (the whole body is one file). multipart/form-data is always inspected; other bodies are left to other stages.',
  }),
  maxFileSize: Type.Integer({ minimum: 1, default: 10 * MiB, description: 'Largest file (413 PCL_UPLOAD_TOO_LARGE).' }),
  maxPartSize: Type.Integer({ minimum: 1, default: 64 * 1024, description: 'Largest non-file part of a multipart body (a form field).' }),
  maxTotalSize: Type.Integer({ minimum: 1, default: 20 * MiB, description: 'Largest sum of all parts. The operation\'s limits.maxBodySize still bounds the whole body (and what is buffered).' }),
  maxFiles: Type.Integer({ minimum: 1, default: 10, description: 'Most file parts in one request (413 PCL_UPLOAD_TOO_LARGE).' }),
  maxParts: Type.Integer({ minimum: 1, default: 100, description: 'Most parts of any kind in one multipart body.' }),
  filenames: Type.Object({
    action: Type.Union([Type.Literal('sanitize'), Type.Literal('replace')], {
      default: 'sanitize',
      description: 'What the upstream receives instead of the client\'s file name. sanitize: the base name with every character outside [A-Za-z0-9._-] replaced by _, no leading dot, at most 100 characters; replace: upload-<16 hex of the SHA-256>.<detected extension>.',
    }),
    originalHeader: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'A request header that carries the client\'s original file names to the upstream (each cut to 255 characters), percent-encoded (UTF-8), comma-separated in part order. A client-sent copy is always removed. Absent: the original names are not forwarded.' })),
  }, { additionalProperties: false, default: {} }),
  scan: Type.Optional(ScanSchema),
  spool: Type.Optional(SpoolSchema),
}, { additionalProperties: false });

export type UploadsConfig = Static<typeof UploadsSchema>;
export type ScanConfig = Static<typeof ScanSchema>;
