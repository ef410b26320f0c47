// Every bound Vigil enforces, in one place, with the reason beside it. Settings that an operator
// may change (docs/operations.md#settings) have their defaults here; the rest are protocol
// constants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ios>

#include "storage/options.h"

namespace vigil::limits {

// --- request shape (docs/api.md#limits)
// --------------------------------------------------------------- Largest request body by default
// (VIGIL_MAX_BODY_BYTES); decided from headers, never buffered.
constexpr size_t kDefaultMaxBodyBytes = 5 * 1024 * 1024;
// Events in one POST /events; the SDKs send at most 100, so 1000 leaves headroom for batching.
constexpr size_t kMaxEventsPerBatch = 1000;
// JSON nesting (top level = 1): deeper input is a stack-exhaustion attempt, not telemetry.
constexpr size_t kMaxJsonDepth = 64;
// One event's payload (minified bytes).
constexpr size_t kMaxPayloadBytes = 256 * 1024;
// execution_id, event_id, parent_execution_id.
constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxEventTypeBytes = 64;
// An execution's `name` (a protocol extension): an agent's name, which the dashboard lists and
// baselines key on. A function's qualified name fits easily; anything longer is not a name.
constexpr size_t kMaxExecutionNameBytes = 200;
// Build identity on executions (docs/protocol.md#build-identity). A version is a commit hash, a
// tag or `git describe` output, well under 128 bytes; a digest is `<algorithm>:<hex>` (sha512 is
// 135 bytes). Longer values are not identities but payloads, so they are refused.
constexpr size_t kMaxCodeVersionBytes = 128;
constexpr size_t kMaxContainerDigestBytes = 200;
// An execution's crash cause as the detail shows it (docs/protocol.md#exception-events): enough for
// a class name with its module, a readable message and a deep stack. The SDKs cut to these bounds
// before sending; the server cuts any `exception` event it stored to them when it reads the cause,
// so one huge event cannot make every detail read of its execution huge.
constexpr size_t kMaxExceptionTypeBytes = 256;
constexpr size_t kMaxExceptionMessageBytes = 8 * 1024;
constexpr size_t kMaxExceptionFrames = 64;
constexpr size_t kMaxFrameFieldBytes = 1024;  // a frame's `file` or `function`
// Key/webhook names and halt reasons.
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxReasonBytes = 1024;
// Free-text execution fields (summaries, signatures, sdk_*): generous, but bounded so one
// execution row cannot become megabytes.
constexpr size_t kMaxSummaryBytes = 64 * 1024;
// Bearer tokens longer than this are refused without hashing.
constexpr size_t kMaxTokenBytes = 256;
// Error entries listed in a POST /events response.
constexpr size_t kMaxBatchErrorsListed = 100;
static_assert(kMaxPayloadBytes < kDefaultMaxBodyBytes, "one payload must fit in a body");

// --- OpenTelemetry traces in (docs/otlp.md) --------------------------------------------------
// Spans kept from one POST /v1/traces; the rest are refused in the response's partial success.
// Every span becomes at most two events, and the SDK exporters send at most 512 spans a batch.
constexpr size_t kMaxOtlpSpansPerRequest = 1000;
// Attributes kept per span (and per span event); later ones are dropped. The GenAI conventions
// use a few dozen, and the older indexed message forms two per message.
constexpr size_t kMaxOtlpAttributesPerSpan = 256;
// Span events kept per span: an exception or two and a few log lines are what the mapping reads.
constexpr size_t kMaxOtlpEventsPerSpan = 128;
// Nesting of array and key-value-list attribute values: deeper input is a stack-exhaustion
// attempt, not telemetry (the same reasoning as kMaxJsonDepth).
constexpr size_t kMaxOtlpValueDepth = 32;
// Message texts an llm_call or tool_call payload keeps (prompts, responses, arguments, results):
// the bound of result_text, so a span's payload stays far below kMaxPayloadBytes.
constexpr size_t kMaxOtlpTextBytes = 16 * 1024;
// A crash's stack trace kept on the `exception` event it becomes.
constexpr size_t kMaxOtlpStacktraceBytes = 16 * 1024;
// Spans remembered, server-wide, as owned by a nested agent's execution, so that their descendants
// exported in later requests land in it; the oldest are forgotten first (about 150 bytes each).
constexpr size_t kMaxOtlpSpanOwners = 50000;
// Spans remembered, server-wide, as stored in their trace's execution while their parent was
// unknown, so that a nested agent span exported after them can take them into its execution; the
// oldest are forgotten first (about 150 bytes each). Per trace fewer, so that one trace's adoption
// walk stays short and one busy trace cannot push every other trace's spans out.
constexpr size_t kMaxOtlpOrphanSpans = 50000;
constexpr size_t kMaxOtlpOrphanSpansPerTrace = 4096;
static_assert(8 * kMaxOtlpTextBytes < kMaxPayloadBytes, "an llm_call payload stays storable");

// Audit rows keep at most this much of a request path and a client IP (both client-controlled).
constexpr size_t kMaxAuditPathBytes = 512;
constexpr size_t kMaxAuditIpBytes = 64;

// --- pagination (docs/api.md#limits, docs/api.md#reads)
// ---------------------------------------------------------------
constexpr int64_t kDefaultPageSize = 50;
constexpr int64_t kMaxPageSize = 200;
constexpr int64_t kMaxOffset = 1000000;
constexpr int64_t kDefaultEventPageSize = 200;
constexpr int64_t kMaxEventPageSize = 1000;
// GET /executions/{id} embeds at most this many events; the rest are paged.
constexpr int64_t kMaxEventsInDetail = 1000;

// --- load -------------------------------------------------------------------------------------
// The storage engine's bounds are defined once, with their reasons, in storage/options.h (storage
// never includes server/); these names refer to them so this file stays the inventory of bounds.
// Write jobs waiting for the writer (VIGIL_WRITE_QUEUE_MAX); past it, 503 + Retry-After.
constexpr size_t kDefaultWriteQueueMax = storage::kDefaultWriteQueueMax;
// How long a write waits for the writer, or a read for a connection (VIGIL_DB_BUSY_TIMEOUT_MS).
constexpr int64_t kDefaultDbBusyTimeoutMs = storage::kDefaultBusyTimeoutMs;
// Jobs committed together in one group transaction.
constexpr size_t kMaxJobsPerGroupCommit = storage::kDefaultMaxJobsPerGroup;
// Event ids the writer remembers before merging them into the per-project id index.
constexpr size_t kEventIdGeneration = storage::kDefaultEventIdGeneration;
// The largest filter of stored event ids, which spares the writer an index probe per new id; it
// grows with the stored ids up to this (storage/options.h).
constexpr size_t kEventIdFilterBytes = storage::kDefaultEventIdFilterBytes;
// Seconds between returns of freed heap memory to the kernel (malloc_trim; server/app/cli.cc).
// A trim walks every arena and takes milliseconds.
constexpr int kMallocTrimIntervalS = 5;
// Blocks of at least this size are mapped from the kernel for each allocation and unmapped when
// freed. glibc otherwise raises the threshold after each large free, up to 32 MiB, and serves
// later large blocks (a pass's events, a parser's buffers) from its arenas, which keep the pages
// once they are free, so the RSS stays at the largest burst of passes ever served. At 128 KiB the
// live passes' event vectors of a few hundred KiB were mapped and faulted in on every batch, a
// third more server CPU per ingested event; at 1 MiB they come from the arenas and only the rare
// larger blocks are mapped (docs/performance.md#many-tenants-at-once has both measurements).
constexpr size_t kMallocMmapThresholdBytes = 1 << 20;
// HTTP worker threads: requests served at once. Idle keep-alive connections and requests still
// arriving wait without a worker (see the slow-client limits below).
constexpr size_t kDefaultHttpThreads = 64;
// Connections the kernel completes before the front's loop accepts them: a small backlog makes
// bursts of new connections wait for a 1 s SYN retransmit. The kernel caps it at
// net.core.somaxconn.
constexpr int kListenBacklog = 1024;
// Complete requests waiting for a worker; past it the front answers 503 + Retry-After at once.
constexpr size_t kMaxPendingConnections = 1024;
// --- the HTTP front and slow clients (server/http/front.h) ---
// A worker takes a request only once it is whole, head and body. Until then its connection is
// read by the front's one event loop, which holds at most this many connections (each costs a
// descriptor and its buffered bytes, no thread); past it new ones are closed at once.
constexpr size_t kMaxConnections = 10000;
// From its first byte, a request head (request line and headers) must arrive within this, or the
// connection is answered 408 and closed. Generous for any real client, even on a slow link. A TLS
// handshake has the same bound from the connection's accept.
constexpr int kRequestHeadTimeoutSec = 10;
// Largest request head; a larger one is answered 431 (RFC 9112 leaves the bound to the server).
constexpr size_t kMaxRequestHeadBytes = 16 * 1024;
// Longest request target (path and query); a longer one is answered 414. Far above any route's.
constexpr size_t kMaxRequestTargetBytes = 8 * 1024;
// Header fields in one request head; more are answered 400, a malformed request rather than a
// large one. Real clients send a dozen or two.
constexpr size_t kMaxHeaderFields = 100;
// A body must arrive within this from the moment the front accepts it (at the largest body,
// 5 MiB, that asks for ~170 KiB/s), or the request is answered 408 and the connection closed.
constexpr int kRequestBodyTimeoutSec = 30;
// After its first kBodyRateGraceSec, a body must have averaged this rate, or the request is
// answered 408: a client that sends a few bytes a second is cut long before the total bound.
constexpr int kBodyRateGraceSec = 5;
constexpr uint64_t kMinBodyBytesPerSec = 4 * 1024;
// Body bytes buffered by the front across every connection (bodies being read and requests
// waiting for or held by a worker). Without it, kMaxConnections connections each sending a body
// at the limit would take tens of GiB; a request whose body would pass it is answered 503.
constexpr uint64_t kMaxBufferedBodyBytes = 512ull << 20;
// Requests served on one keep-alive connection before it is closed.
constexpr size_t kKeepAliveMaxRequests = 100000;
// An idle keep-alive connection is closed after this.
constexpr int kKeepAliveTimeoutSec = 5;
// A response write that makes no progress for this long ends the connection.
constexpr int kWriteTimeoutSec = 10;
// After an error answered before its body was read (413, 503), the connection discards what the
// client still sends for at most this long and this many bytes, so the client reads the response
// instead of a reset (server/http/front_conn.cc).
constexpr int kLingerTimeoutMs = 2000;
constexpr size_t kLingerMaxBytes = 64u << 20;
// NDJSON downloads open at once (docs/operations.md#download-slots); more get 503. Each holds an
// HTTP worker for as long as its client takes to read, so they are few. A project's audit-log
// downloads share kMaxProjectDownloads, at most kMaxDownloadsPerProject each, so one project's
// slow readers leave the others room. The operator's downloads (project exports, which also hold
// a reader connection and its snapshot throughout, and the admin audit log) have their own slots,
// which projects cannot take.
constexpr size_t kMaxProjectDownloads = 8;
constexpr size_t kMaxDownloadsPerProject = 2;
constexpr size_t kAdminDownloadSlots = 2;
static_assert(kMaxDownloadsPerProject < kMaxProjectDownloads, "one project never takes them all");
// Halt-stream shares (docs/operations.md#halt-stream-shares): the last quarter of VIGIL_SSE_MAX is
// kept for projects holding fewer than 1 % of it, so projects at their per-project cap (a few of
// them can add up to the total) never lock every other project out, while one large project still
// gets its full per-project cap when nobody else needs the places.
constexpr size_t kHaltStreamReserveDivisor = 4;
constexpr size_t kHaltStreamSmallProjectDivisor = 100;
// Retry-After on 503 "too many halt streams": slots free up as executions end or clients leave,
// which takes longer than an overloaded queue (1 s) drains; an SDK retrying every second for a
// full cap would only add load.
constexpr int kHaltStreamRetryAfterSec = 5;
// Retry-After on a halt for an execution not known yet: an SDK sends a new execution's creation
// within its flush interval (well under a second by default), so a second covers a create still
// in flight.
constexpr int kHaltUnknownRetryAfterSec = 1;
// Bytes gathered before a chunk of a stream is written (fewer, larger writes).
constexpr size_t kStreamChunkBytes = 64 * 1024;
// In-flight requests finish within this after SIGTERM.
constexpr int kDrainTimeoutSec = 10;
// Retry-After on 503 "storage full": space comes back when an operator frees it, so clients are
// asked to wait longer than for an overloaded queue (1 s), but not so long that recovery lags.
constexpr int kStorageFullRetryAfterSec = 5;
// security.txt is a few lines; a bigger file is a misconfiguration, not something to serve.
constexpr std::streamsize kMaxSecurityTxtBytes = 64 * 1024;
// "storage full" is logged at most once per this interval, not once per refused request.
constexpr int64_t kStorageFullLogIntervalMs = 10 * 1000;
// Hard bound on the WAL file: past it the writer pauses between groups for a TRUNCATE checkpoint
// (storage/options.h, storage/DESIGN.md).
constexpr uint64_t kWalBoundBytes = storage::kDefaultWalBoundBytes;
// Start-up runs PRAGMA quick_check only on a database at most this large: it reads every page, and
// start-up time must not grow with the data (storage/options.h, storage/DESIGN.md).
constexpr uint64_t kStartupQuickCheckMaxBytes = storage::kDefaultQuickCheckMaxBytes;

// --- auth and rate limit ----------------------------------------------------------------------
// Authenticated keys cached in memory (VIGIL_KEY_CACHE_SIZE); a miss costs one indexed read.
constexpr size_t kDefaultKeyCacheSize = 10000;
constexpr int64_t kKeyCacheTtlMs = 60 * 1000;
// last_used_at is written at most once per key per this interval
// (docs/api.md#bearer-authentication).
constexpr int64_t kLastUsedWriteIntervalMs = 60 * 1000;
// Per-project token bucket (VIGIL_RATE_LIMIT_BURST / _PER_SEC): a burst of 100 requests, then 10
// per second; an SDK batches events, so this is thousands of events per second.
constexpr double kDefaultRateBurst = 100;
constexpr double kDefaultRatePerSec = 10;
// Dev mode's defaults (VIGIL_DEV=1 with neither rate-limit setting given): a local trial or an
// agent's test suite sends bursts of unbatched requests that the production default would throttle,
// and one developer's machine needs no protection from its own tenant.
constexpr double kDevRateBurst = 10000;
constexpr double kDevRatePerSec = 1000;
// Rate-limit buckets kept in memory; full (idle) buckets are dropped past this.
constexpr size_t kMaxRateBuckets = 100000;
// The shortest admin or metrics token the server starts with (VIGIL_ADMIN_TOKEN,
// VIGIL_METRICS_TOKEN; empty = unset). 32 characters of `openssl rand -hex 16` or more are beyond
// guessing; a short token is not.
constexpr size_t kMinAdminTokenBytes = 32;
// Failed admin or metrics authentications per client IP: 20 at once, then one every 3 s; past
// that 429 with Retry-After, even for the right token (else the answer would tell a guesser when
// it is right). An operator who mistypes a token a few times is not slowed down; a guesser gets
// 20 tries a minute instead of thousands a second.
constexpr double kAdminAuthFailureBurst = 20;
constexpr double kAdminAuthFailuresPerSec = 1.0 / 3;

// --- accounts and the admin API ---------------------------------------------------------------
// API keys per project: one per service and environment fits many times over, and every key is a
// credential someone must be able to review and revoke; past it POST /api-keys answers 409.
constexpr int64_t kMaxKeysPerProject = 100;
// Admin request bodies hold a few small fields (a tier, a count, a reason); a larger one is a
// mistake, refused before it is parsed.
constexpr size_t kMaxAdminBodyBytes = 1024;
// Tier and grant expiries in days are capped here: 100 years is "never" to an operator, and the
// date computed from it stays far inside the range of a millisecond timestamp.
constexpr int64_t kMaxExpiryDays = 36500;
// A project's retention window in days; a longer one is refused, for the same reasons.
constexpr int64_t kMaxRetentionDays = 36500;
// One grant adds or removes at most this many executions: a guardrail against a slip of the
// keyboard (a digit too many) in an operator's command.
constexpr int64_t kMaxGrantDelta = 10000000;
// The largest rate-limit burst an operator may set (VIGIL_RATE_LIMIT_BURST or a project's
// override): a billion requests at once is no limit at all, so nothing larger is meaningful.
constexpr int64_t kMaxRateLimitBurst = 1000000000;
// The refill rate, in tokens per second, an operator may set (VIGIL_RATE_LIMIT_PER_SEC or a
// project's override). Below one token per 1000 s a project is as good as blocked (suspend it
// instead); above a billion per second the bucket never empties. Within these bounds a bucket
// refills within 10^12 s, so X-RateLimit-Reset and Retry-After stay far inside their range.
constexpr double kMinRatePerSec = 0.001;
constexpr double kMaxRatePerSec = 1e9;
// GET /admin/projects/{id} shows this many of the project's latest executions and failure groups:
// an overview, not a listing (the project's own routes page through the rest).
constexpr int64_t kAdminRecentRows = 20;
// GET /admin/abuse lists this many signals by default, and at most the larger number.
constexpr int64_t kDefaultAbusePageSize = 100;
constexpr int64_t kMaxAbusePageSize = 500;

// --- reads, downloads and billing -------------------------------------------------------------
// GET /stats/timeseries answers at most this many buckets, so one answer stays small whatever
// range and bucket size it asks for.
constexpr int64_t kMaxTimeSeriesPoints = 1000;
// Audit rows read per transaction of an NDJSON audit-log download: each page is a short snapshot,
// so a slow reader never holds one (which would keep the WAL from being reset) for long.
constexpr int64_t kAuditStreamPage = 1000;
// Failure groups read per page inside a project export's transaction.
constexpr int64_t kExportGroupPage = 500;
// One call to Stripe's API (checkout, portal) may take this long to connect, send or answer;
// past it the request fails 502 rather than holding a worker.
constexpr int kStripeTimeoutSec = 10;

// --- detection (docs/detection.md) -----------------------------------------------------------
// Agent baselines kept in memory for the live pass, one per (project, name): a few numbers and the
// name, so the cache stays within a few megabytes. An evicted baseline is read again (one short
// index read) the next time its agent sends events.
constexpr size_t kBaselineCacheMaxEntries = 10000;
// The live pass's cache of running executions (server/detection/live_cache.h): heap bytes counted
// as the allocator holds them (events by capacity, strings, nodes, keys), and entries. Past either
// the least recently used execution is dropped and read again from storage on its next batch, so
// the bound trades reads for memory and never hides an event from the pass. A cached event takes
// about 210 bytes, so 8 MiB holds about 40,000: the running executions of a few dozen agents
// sending a thousand events each.
constexpr size_t kLiveCacheMaxBytes = 8u << 20;
constexpr size_t kLiveCacheMaxEntries = 10000;
// Bytes that all final passes running at once may hold (server/detection/memory_budget.h). A pass
// holds its execution's every event, about 1.2 KB each with the usual payload fields, so this lets
// a dozen executions of a thousand events be judged at once while the server stays within its
// memory budget (docs/operations.md#memory). A pass past the free room waits for it; one larger
// than the whole bound waits until it can run alone, so no pass is ever skipped.
constexpr size_t kFinalPassMaxBytes = 16u << 20;
// The events of one execution a detection pass judges: its first ones in sequence order, at most
// this many, and in the final pass at most kMaxJudgedBytes of what the pass keeps of them
// (server/detection/judged_events.h). Nothing else bounds an execution's events, and a pass holds
// the ones it judges at once: without this a single execution of a million events would make its
// final pass take a gigabyte. Twenty thousand is far past any step limit or baseline a runaway
// trips on its way there; the later events are still stored, counted and sealed.
constexpr size_t kMaxJudgedEvents = 20000;
// The final passes' whole budget: one pass never needs more than all of them may hold.
constexpr size_t kMaxJudgedBytes = kFinalPassMaxBytes;
// Bytes of a finding's detail that are stored and shown. A detail is one sentence, but it can
// quote names the agent chose (a tool's name), which nothing else bounds this tightly.
constexpr size_t kMaxFindingDetailBytes = 512;

// --- webhooks (docs/api.md#webhooks)
// ---------------------------------------------------------------------- Endpoints per project:
// each one multiplies outgoing traffic per failure group.
constexpr int64_t kMaxWebhooksPerProject = 20;
// A webhook URL; longer ones are not endpoints anyone types.
constexpr size_t kMaxWebhookUrlBytes = 2048;
// One attempt, connect to last response byte (enforced by a watchdog, not per socket call).
constexpr int kWebhookAttemptTimeoutSec = 15;
// Response bytes kept in the delivery log (the rest is read and discarded).
constexpr size_t kWebhookResponseBodyBytes = 2048;
// Longest delay between two attempts, including a receiver's Retry-After.
constexpr int64_t kWebhookMaxRetryDelayMs = 10LL * 3600 * 1000;
// Messages queued per webhook: a receiver that is down for days must not grow the outbox without
// bound; past it new messages for that webhook are dropped (and logged).
constexpr int64_t kMaxQueuedPerWebhook = 1000;
// Delivery log rows kept per webhook (oldest pruned).
constexpr int64_t kWebhookLogRowsPerWebhook = 1000;
// Sender threads: a slow receiver holds one for at most one attempt timeout. A project keeps at
// most kWebhookSendersPerProject of them busy, so it takes eight projects with slow receivers to
// occupy them all, and another project's message finds a free sender at once
// (docs/operations.md#webhook-delivery-shares). Idle senders cost a parked thread each.
constexpr size_t kWebhookSenders = 16;
constexpr size_t kWebhookSendersPerProject = 2;
static_assert(kWebhookSendersPerProject < kWebhookSenders, "one project never takes every sender");
// POST /webhooks/{id}/test runs its attempt on a thread of its own, not an HTTP worker; a project
// has at most kMaxWebhookTestsPerProject under way (429 past it) and the server
// kMaxWebhookTestsInFlight (503), which bounds those threads. A test waits at most one attempt
// timeout; most answer within a second, so a client is asked to retry after a few.
constexpr size_t kMaxWebhookTestsPerProject = 2;
constexpr size_t kMaxWebhookTestsInFlight = 32;
constexpr int kWebhookTestRetryAfterSec = 5;
// Due messages fetched per scan, at most kWebhookSendersPerProject per project (more could not be
// sent at once), so one project's backlog never hides another's message from the scan.
constexpr int64_t kWebhookScanBatch = 32;
// The sender re-checks the outbox at least this often (it is also woken when a group is created).
constexpr int64_t kWebhookPollMs = 500;
// Characters of a signature or a finding's detail shown in Slack/Discord texts (chat services cap
// message sizes).
constexpr size_t kWebhookAdapterSignatureChars = 300;
static_assert(kWebhookSenders >= 1, "at least one sender");

// --- transparency log (docs/transparency.md) ---
// Queued terminal executions the sealer takes per round: one write job appends them together, so
// a burst of completions costs a few group commits, not one each.
constexpr int64_t kSealBatch = 256;
// A round's entries are built on shared read snapshots, a new one after this many events read: one
// snapshot per execution cost more than the reading itself, and a snapshot held for long keeps the
// WAL checkpoint from catching up.
constexpr int64_t kSealSnapshotEvents = 20000;
// The sealer looks at the queue at least this often (it is also woken after each final pass).
constexpr int64_t kSealPollMs = 1000;
// After a wake-up the sealer waits this long so that executions ending together are appended in
// one round (one write job, one commit) rather than one round each.
constexpr int64_t kSealCoalesceMs = 200;
// A queued execution whose final pass was not seen to finish (the server restarted between the
// terminal write and the pass, or the write came through a path without one) is sealed this long
// after the sealer first saw it, with a final pass run by the sealer first. Within the 60 s the
// log promises.
constexpr int64_t kSealGraceMs = 10000;
// The server re-runs the audit check of sealed records (its metrics) this often, and at start: it
// reads every sealed execution's events, so not more often.
constexpr int64_t kSealAuditIntervalMs = 6 * 3600 * 1000;
// Checkpoints are signed at most this often per project, whoever asks.
constexpr int64_t kCheckpointMinIntervalMs = 1000;
// A witness cosignature dated later than this after the server's clock is refused (C2SP
// tlog-cosignature lets verifiers reject future timestamps; this allows for clock skew).
constexpr int64_t kCosignatureMaxFutureMs = 10 * 60 * 1000;
// Witnesses configured at most: a checkpoint carries one cosignature line per witness besides the
// log's own, and C2SP signed-note verifiers may refuse notes of more than 100 signatures.
constexpr size_t kMaxTransparencyWitnesses = 32;
// Bytes of a cosigned checkpoint note posted by a witness: a checkpoint and a few dozen signature
// lines fit many times over.
constexpr size_t kMaxCosignedNoteBytes = 64 * 1024;
// Models listed in an entry, and the bytes kept of each name: the entry must fit a tile bundle's
// uint16 length prefix (65,535 bytes) whatever names a client sends. Even names of control
// characters, escaped six bytes each in canonical JSON, stay under 25 KB.
constexpr size_t kMaxSealedModels = 32;
constexpr size_t kMaxSealedModelBytes = 128;
// Hashes in a consistency or inclusion proof answer: 2·log2 of any possible tree size.
constexpr size_t kMaxProofHashes = 128;
// Executions whose readiness the sealer remembers (bounded; forgetting one only delays its seal
// to the grace period).
constexpr size_t kMaxSealReadyRemembered = 100000;

}  // namespace vigil::limits
