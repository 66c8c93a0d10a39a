/* Schema migrations; see schema.h and docs/STORE.md. */
#include "store/schema.h"

#include "compiler.h"

/*
 * Version 1: credentials and their versions.
 *
 * credentials holds what may be shown (name, type, service, metadata as a
 * JSON object) and points at its current version. credential_versions holds
 * one row per secret value: the payload sealed by a per-version DEK, the DEK
 * wrapped by the HSM KEK of kek_version, and for cards the brand, first 6 and
 * last 4 digits in clear (PCI DSS 3.4.1 allows those). There is no column for
 * a CVV/CVC anywhere, by design (PCI DSS 3.3.1.2).
 *
 * The CHECK constraints repeat the code's validation so that a bug or a
 * hand-written UPDATE cannot store a malformed row. (Debian's SQLCipher 3.4.1
 * is built without JSON1, so metadata is only checked to be an object here;
 * cred.c validates it fully with jansson.)
 */
static const char schema_v1[] =
	"CREATE TABLE credentials ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'cr_'),"
	"  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 128),"
	"  type TEXT NOT NULL CHECK (type IN ('api_key', 'password', 'card', 'bank_account',"
	"    'secret')),"
	"  service TEXT NOT NULL CHECK (length(service) BETWEEN 1 AND 64),"
	"  metadata TEXT NOT NULL CHECK (substr(metadata, 1, 1) = '{'),"
	"  current_version INTEGER NOT NULL CHECK (current_version >= 1),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  revoked_at INTEGER"
	");"
	"CREATE INDEX credentials_by_service ON credentials (service, type);"
	"CREATE TABLE credential_versions ("
	"  cred_id TEXT NOT NULL REFERENCES credentials (id),"
	"  version INTEGER NOT NULL CHECK (version >= 1),"
	"  kek_version INTEGER NOT NULL CHECK (kek_version >= 1),"
	"  wrapped_dek BLOB NOT NULL,"
	"  ciphertext BLOB NOT NULL,"
	"  card_brand TEXT CHECK (card_brand IS NULL OR length(card_brand) BETWEEN 1 AND 15),"
	"  card_first6 TEXT CHECK (card_first6 IS NULL OR length(card_first6) = 6),"
	"  card_last4 TEXT CHECK (card_last4 IS NULL OR length(card_last4) = 4),"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (cred_id, version)"
	");";

/*
 * Version 2: admin accounts and their one-time recovery codes (docs/AUTH.md).
 *
 * Nothing here is usable without the HSM or a brute force: pw_hash is an
 * argon2id PHC string, the TOTP seed is wrapped by the KEK of
 * totp_kek_version (12-byte IV + 20-byte seed + 16-byte tag), recovery codes
 * are SHA-256 hashes of 80-bit random codes. totp_last_step only grows: it
 * is how a TOTP code is accepted once. locked_until is wall-clock Unix
 * seconds, because a lock must survive a restart and monotonic time does not
 * (see docs/AUTH.md on clock steps).
 */
static const char schema_v2[] =
	"CREATE TABLE admins ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'ad_'),"
	"  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64"
	"    AND name NOT GLOB '*[^a-z0-9._-]*'),"
	"  pw_hash TEXT NOT NULL CHECK (substr(pw_hash, 1, 10) = '$argon2id$'),"
	"  totp_seed_wrapped BLOB NOT NULL CHECK (length(totp_seed_wrapped) = 48),"
	"  totp_kek_version INTEGER NOT NULL CHECK (totp_kek_version >= 1),"
	"  totp_last_step INTEGER NOT NULL DEFAULT 0 CHECK (totp_last_step >= 0),"
	"  failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),"
	"  consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),"
	"  locked_until INTEGER NOT NULL DEFAULT 0,"
	"  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE TABLE recovery_codes ("
	"  admin_id TEXT NOT NULL REFERENCES admins (id),"
	"  code_hash BLOB NOT NULL CHECK (length(code_hash) = 32),"
	"  used_at INTEGER,"
	"  PRIMARY KEY (admin_id, code_hash)"
	");";

/*
 * Version 3: helpers, their grants, and when each credential was last read
 * (docs/GRANTS.md).
 *
 * A grant's token is stored only as its SHA-256 (token_hash, unique: the
 * lookup key); the accessor is its public name. Scope is inline: the
 * credential items as a JSON array of ids and path patterns, the actions as
 * policy bits (read 1, update 4), the CIDRs as a JSON array of strings. uses
 * only grows and never passes max_uses (0 = unlimited): the conditional
 * UPDATE that counts a use relies on it. Times are wall-clock Unix seconds,
 * since a grant must outlive a restart of the vault. revoked_at is set once,
 * with a reason a person can read ("revoked by admin alice", "helper
 * removed", "unused for 30 days").
 *
 * credentials.last_read_at is when a credential's secret was last read
 * (NULL: never), for the stale-credential report.
 */
static const char schema_v3[] =
	"CREATE TABLE helpers ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'hl_'),"
	"  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64"
	"    AND name NOT GLOB '*[^A-Za-z0-9 ._-]*'),"
	"  contact TEXT NOT NULL CHECK (length(contact) <= 128),"
	"  kind TEXT NOT NULL CHECK (kind IN ('setup', 'monitor', 'outreach', 'support',"
	"    'developer')),"
	"  created_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER"
	");"
	"CREATE TABLE grants ("
	"  accessor TEXT PRIMARY KEY NOT NULL CHECK (length(accessor) = 24"
	"    AND substr(accessor, 1, 4) = 'acc_'),"
	"  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
	"  helper_id TEXT NOT NULL REFERENCES helpers (id),"
	"  credentials TEXT NOT NULL CHECK (substr(credentials, 1, 1) = '['),"
	"  actions INTEGER NOT NULL CHECK (actions > 0),"
	"  cidrs TEXT NOT NULL CHECK (substr(cidrs, 1, 1) = '['),"
	"  note TEXT NOT NULL CHECK (length(note) <= 256),"
	"  issued_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  max_uses INTEGER NOT NULL CHECK (max_uses >= 0),"
	"  uses INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0 AND (max_uses = 0 OR uses <= max_uses)),"
	"  last_used_at INTEGER,"
	"  revoked_at INTEGER,"
	"  revoke_reason TEXT,"
	"  CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))"
	");"
	"CREATE INDEX grants_by_helper ON grants (helper_id, created_at);"
	"ALTER TABLE credentials ADD COLUMN last_read_at INTEGER;";

/*
 * Audit trail (vault/audit/audit_store.c, docs/AUDIT.md). audit_log is append-only:
 * each row's hash chains it to the row before, so an edit or a deleted row is
 * found by the offline verifier. audit_checkpoints holds the chain head at seq
 * signed by HSM key "bos-audit-v<key_version>" (DER ECDSA P-256).
 */
static const char schema_v4[] =
	"CREATE TABLE audit_log ("
	"  seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),"
	"  time TEXT NOT NULL CHECK (length(time) BETWEEN 1 AND 255),"
	"  principal TEXT NOT NULL CHECK (length(principal) <= 255),"
	"  action TEXT NOT NULL CHECK (length(action) <= 255),"
	"  resource TEXT NOT NULL CHECK (length(resource) <= 255),"
	"  decision TEXT NOT NULL CHECK (decision IN ('allow', 'deny', 'error')),"
	"  reason TEXT NOT NULL CHECK (length(reason) <= 255),"
	"  client TEXT NOT NULL CHECK (length(client) <= 255),"
	"  request_id TEXT NOT NULL CHECK (length(request_id) <= 255),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32)"
	");"
	"CREATE TABLE audit_checkpoints ("
	"  seq INTEGER PRIMARY KEY NOT NULL REFERENCES audit_log (seq),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  time TEXT NOT NULL CHECK (length(time) BETWEEN 1 AND 255),"
	"  key_version INTEGER NOT NULL CHECK (key_version >= 1),"
	"  signature BLOB NOT NULL CHECK (length(signature) BETWEEN 8 AND 80)"
	");";

/*
 * The audit trail wired into requests: a request refused for bad input is
 * "invalid" (neither allowed nor denied by policy), and records are searched
 * by time. SQLite cannot change a CHECK, so both tables are rebuilt (the
 * checkpoints refer to the log); rows are copied as they are.
 */
static const char schema_v5[] =
	"CREATE TABLE audit_log_v5 ("
	"  seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),"
	"  time TEXT NOT NULL CHECK (length(time) BETWEEN 1 AND 255),"
	"  principal TEXT NOT NULL CHECK (length(principal) <= 255),"
	"  action TEXT NOT NULL CHECK (length(action) <= 255),"
	"  resource TEXT NOT NULL CHECK (length(resource) <= 255),"
	"  decision TEXT NOT NULL CHECK (decision IN ('allow', 'deny', 'invalid', 'error')),"
	"  reason TEXT NOT NULL CHECK (length(reason) <= 255),"
	"  client TEXT NOT NULL CHECK (length(client) <= 255),"
	"  request_id TEXT NOT NULL CHECK (length(request_id) <= 255),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32)"
	");"
	"INSERT INTO audit_log_v5 SELECT seq, time, principal, action, resource, decision, reason,"
	"  client, request_id, hash FROM audit_log;"
	"CREATE TABLE audit_checkpoints_v5 ("
	"  seq INTEGER PRIMARY KEY NOT NULL REFERENCES audit_log_v5 (seq),"
	"  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	"  time TEXT NOT NULL CHECK (length(time) BETWEEN 1 AND 255),"
	"  key_version INTEGER NOT NULL CHECK (key_version >= 1),"
	"  signature BLOB NOT NULL CHECK (length(signature) BETWEEN 8 AND 80)"
	");"
	"INSERT INTO audit_checkpoints_v5 SELECT seq, hash, time, key_version, signature"
	"  FROM audit_checkpoints;"
	"DROP TABLE audit_checkpoints;"
	"DROP TABLE audit_log;"
	"ALTER TABLE audit_log_v5 RENAME TO audit_log;"
	"ALTER TABLE audit_checkpoints_v5 RENAME TO audit_checkpoints;"
	"CREATE INDEX audit_log_time ON audit_log (time);";

/*
 * Version 6 (issue #12 item 14): the AAD of a credential version now binds its
 * clear columns (type, name, service, card brand and digits) besides id and
 * version (docs/STORE.md "Sealing"). The versions sealed before this are
 * listed here; bos-vaultd seals each anew at start (cred_reseal_old) and
 * takes it off the list in the same transaction. Nothing reads a listed
 * version meanwhile. Revoked credentials have nothing left to re-seal.
 */
static const char schema_v6[] =
	"CREATE TABLE credential_reseal ("
	"  cred_id TEXT NOT NULL REFERENCES credentials (id),"
	"  version INTEGER NOT NULL,"
	"  PRIMARY KEY (cred_id, version)"
	");"
	"INSERT INTO credential_reseal SELECT v.cred_id, v.version FROM credential_versions AS v"
	"  JOIN credentials AS c ON c.id = v.cred_id WHERE c.revoked_at IS NULL;";

/*
 * Version 7 (issue #14, docs/BROKERS.md): brokers, the jobs they claim and
 * the leases of secrets they take for them.
 *
 * A broker's token is stored only as its SHA-256, like a grant's; its
 * accessor is its public name. A job's claim ("cl_...") is new per claim and
 * kept once the job is done, so that the same completion sent again is known
 * as a duplicate; a claimed job always has its claim, its broker and its
 * visibility deadline. Leases are records only: the secret was handed out
 * once, in the response that made the lease. Times are wall-clock Unix
 * seconds (a claim and a lease outlive a restart).
 */
static const char schema_v7[] =
	"CREATE TABLE brokers ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'bk_'),"
	"  role TEXT NOT NULL CHECK (role IN ('outreach', 'monitor', 'hiring')),"
	"  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64"
	"    AND name NOT GLOB '*[^A-Za-z0-9 ._-]*'),"
	"  accessor TEXT NOT NULL UNIQUE CHECK (length(accessor) = 24"
	"    AND substr(accessor, 1, 4) = 'acc_'),"
	"  token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),"
	"  created_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  revoked_at INTEGER,"
	"  revoked_by TEXT,"
	"  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))"
	");"
	"CREATE TABLE jobs ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'jb_'),"
	"  kind TEXT NOT NULL CHECK (kind IN ('verify')),"
	"  service TEXT NOT NULL CHECK (length(service) BETWEEN 1 AND 64"
	"    AND service NOT GLOB '*[^a-z0-9._-]*'),"
	"  credential TEXT REFERENCES credentials (id),"
	"  params TEXT NOT NULL CHECK (substr(params, 1, 1) = '{' AND length(params) <= 4096),"
	"  idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 128),"
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'dead')),"
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0 AND attempts <= max_attempts),"
	"  max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),"
	"  not_before INTEGER NOT NULL,"
	"  claimed_by TEXT REFERENCES brokers (id),"
	"  claim TEXT CHECK (claim IS NULL OR (length(claim) = 29 AND substr(claim, 1, 3) = 'cl_')),"
	"  visible_until INTEGER,"
	"  estimate_amount INTEGER CHECK (estimate_amount IS NULL OR estimate_amount >= 0),"
	"  estimate_currency TEXT CHECK (estimate_currency IS NULL OR (length(estimate_currency) = 3"
	"    AND estimate_currency NOT GLOB '*[^A-Z]*')),"
	"  result TEXT CHECK (result IS NULL OR (substr(result, 1, 1) = '{'"
	"    AND length(result) <= 4096)),"
	"  error TEXT CHECK (error IS NULL OR length(error) <= 512),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  created_by TEXT NOT NULL,"
	"  CHECK ((estimate_amount IS NULL) = (estimate_currency IS NULL)),"
	"  CHECK (state <> 'claimed' OR (claimed_by IS NOT NULL AND claim IS NOT NULL"
	"    AND visible_until IS NOT NULL)),"
	"  CHECK ((state IN ('done', 'dead')) = (finished_at IS NOT NULL))"
	");"
	"CREATE INDEX jobs_queue ON jobs (state, not_before, created_at);"
	"CREATE TABLE leases ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'ls_'),"
	"  broker_id TEXT NOT NULL REFERENCES brokers (id),"
	"  credential_id TEXT NOT NULL REFERENCES credentials (id),"
	"  job_id TEXT NOT NULL REFERENCES jobs (id),"
	"  purpose TEXT NOT NULL CHECK (length(purpose) BETWEEN 1 AND 128),"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL CHECK (expires_at > created_at"
	"    AND expires_at - created_at <= 300),"
	"  ended_at INTEGER,"
	"  ended_by TEXT,"
	"  CHECK ((ended_at IS NULL) = (ended_by IS NULL))"
	");"
	"CREATE INDEX leases_by_expiry ON leases (expires_at);";

/*
 * Version 8 (issue #14, docs/BROKERS.md "Spend and budgets", "Alerts"): the
 * spend ledger, budgets and alerts.
 *
 * Amounts are integers of minor units (cents), never floating point; a
 * currency is three upper-case letters (spend.c checks it against ISO 4217).
 * A job's spend is recorded once: job_id is unique. A budget row per service,
 * and one for "total" over every service, with a daily and/or a monthly
 * limit; whether a service is paused is computed from the ledger (budget.h),
 * only an admin's resume of a period is stored (resumed_day, resumed_month).
 * An alert's dedup key is unique among the alerts not resolved, which is how
 * a raise with the key of an open one only counts.
 */
static const char schema_v8[] =
	"CREATE TABLE spend ("
	"  id INTEGER PRIMARY KEY NOT NULL,"
	"  day TEXT NOT NULL CHECK (length(day) = 10"
	"    AND day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),"
	"  service TEXT NOT NULL CHECK (length(service) BETWEEN 1 AND 64"
	"    AND service NOT GLOB '*[^a-z0-9._-]*' AND service <> 'total'),"
	"  amount INTEGER NOT NULL CHECK (typeof(amount) = 'integer' AND amount > 0),"
	"  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),"
	"  job_id TEXT NOT NULL UNIQUE CHECK (length(job_id) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX spend_by_day ON spend (day, service);"
	"CREATE INDEX spend_by_service ON spend (service, day);"
	"CREATE TABLE budgets ("
	"  service TEXT PRIMARY KEY NOT NULL CHECK (length(service) BETWEEN 1 AND 64"
	"    AND service NOT GLOB '*[^a-z0-9._-]*'),"
	"  daily INTEGER CHECK (daily IS NULL OR (typeof(daily) = 'integer' AND daily >= 0)),"
	"  monthly INTEGER CHECK (monthly IS NULL OR (typeof(monthly) = 'integer'"
	"    AND monthly >= 0)),"
	"  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),"
	"  resumed_day TEXT CHECK (resumed_day IS NULL OR length(resumed_day) = 10),"
	"  resumed_month TEXT CHECK (resumed_month IS NULL OR length(resumed_month) = 7),"
	"  updated_by TEXT NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  CHECK (daily IS NOT NULL OR monthly IS NOT NULL)"
	");"
	"CREATE TABLE alerts ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'al_'),"
	"  kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32 AND kind NOT GLOB '*[^a-z0-9_]*'),"
	"  severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),"
	"  subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 256),"
	"  details TEXT NOT NULL CHECK (substr(details, 1, 1) = '{' AND length(details) <= 4096),"
	"  actions TEXT NOT NULL CHECK (substr(actions, 1, 1) = '[' AND length(actions) <= 4096),"
	"  dedup_key TEXT CHECK (dedup_key IS NULL OR length(dedup_key) BETWEEN 1 AND 128),"
	"  count INTEGER NOT NULL CHECK (count >= 1),"
	"  state TEXT NOT NULL CHECK (state IN ('open', 'acked', 'resolved')),"
	"  first_at INTEGER NOT NULL,"
	"  last_at INTEGER NOT NULL CHECK (last_at >= first_at),"
	"  acked_at INTEGER,"
	"  acked_by TEXT,"
	"  resolved_at INTEGER,"
	"  resolved_by TEXT,"
	"  CHECK ((acked_at IS NULL) = (acked_by IS NULL)),"
	"  CHECK ((resolved_at IS NULL) = (resolved_by IS NULL)),"
	"  CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),"
	"  CHECK (state <> 'acked' OR acked_at IS NOT NULL)"
	");"
	"CREATE UNIQUE INDEX alerts_unresolved_key ON alerts (dedup_key)"
	"  WHERE dedup_key IS NOT NULL AND state <> 'resolved';"
	"CREATE INDEX alerts_by_state ON alerts (state, last_at);";

/*
 * Version 9 (issue #15, docs/MCP.md "Vault: approvals", "Vault: grant
 * pickup"): approvals of actions that widen spending, and grant tokens that
 * wait, wrapped by the HSM's KEK, to be picked up once.
 *
 * An approval is pending until an admin decides it (approved, rejected:
 * decided_by and decided_at) or it expires (decided_at only). Its params
 * are the request's (never a secret); result is what approving did, or the
 * error that rejected it.
 *
 * A pickup's blob is the token wrapped under kek_version (IV + token + tag,
 * AAD "bos-pickup:v1:" + accessor). When it ends (picked up, expired, or
 * its grant revoked) the blob is deleted and the row stays, so that a late
 * request can be told why. The trigger ends a pickup in the statement that
 * revokes its grant, whichever path revokes it.
 */
static const char schema_v9[] =
	"CREATE TABLE approvals ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'ap_'),"
	"  kind TEXT NOT NULL CHECK (kind IN ('budget_set', 'budget_resume')),"
	"  params TEXT NOT NULL CHECK (substr(params, 1, 1) = '{' AND length(params) <= 4096),"
	"  summary TEXT NOT NULL CHECK (length(summary) BETWEEN 1 AND 512),"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),"
	"  created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL CHECK (expires_at > created_at),"
	"  decided_by TEXT CHECK (decided_by IS NULL OR length(decided_by) BETWEEN 1 AND 64),"
	"  decided_at INTEGER,"
	"  result TEXT CHECK (result IS NULL OR (substr(result, 1, 1) = '{'"
	"    AND length(result) <= 4096)),"
	"  CHECK ((state = 'pending') = (decided_at IS NULL)),"
	"  CHECK ((state IN ('approved', 'rejected')) = (decided_by IS NOT NULL))"
	");"
	"CREATE INDEX approvals_by_state ON approvals (state, expires_at);"
	"CREATE TABLE grant_pickups ("
	"  accessor TEXT PRIMARY KEY NOT NULL REFERENCES grants (accessor),"
	"  kek_version INTEGER NOT NULL CHECK (kek_version >= 1),"
	"  blob BLOB CHECK (blob IS NULL OR length(blob) BETWEEN 29 AND 128),"
	"  created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL CHECK (expires_at > created_at),"
	"  ended_at INTEGER,"
	"  end_reason TEXT CHECK (end_reason IS NULL"
	"    OR end_reason IN ('picked_up', 'expired', 'revoked')),"
	"  CHECK ((blob IS NULL) = (ended_at IS NOT NULL)),"
	"  CHECK ((ended_at IS NULL) = (end_reason IS NULL))"
	");"
	"CREATE TRIGGER grant_pickups_end_on_revoke AFTER UPDATE OF revoked_at ON grants"
	"  WHEN NEW.revoked_at IS NOT NULL BEGIN"
	"  UPDATE grant_pickups SET blob = NULL, ended_at = NEW.revoked_at, end_reason = 'revoked'"
	"    WHERE accessor = NEW.accessor AND ended_at IS NULL;"
	"  END;";

/*
 * Version 10 (issue #16, docs/OUTREACH.md): contact lists, the suppression
 * list, campaigns, one message per recipient, and the provider events that
 * tracking and replies bring.
 *
 * jobs is rebuilt (SQLite cannot change a CHECK): two new kinds, send_email
 * and send_sms, and the campaign a send job belongs to. Foreign keys stay on
 * (the pragma cannot change inside the migration's transaction), so the
 * leases, which reference jobs, are set aside while the old table is
 * dropped: its implicit DELETE would otherwise count every lease as a
 * deferred violation that the renamed table never clears, and the commit
 * would fail on any database holding a lease.
 *
 * Addresses are stored normalised (an email in lower case, a phone number in
 * E.164); a contact is unique per list by either. A suppression is per
 * address and channel and wins over every campaign. A message's token is
 * the recipient's capability in tracking and unsubscribe links (128 random
 * bits, base64url); a provider event is recorded once (event_key unique).
 * Prices and a campaign's spend are kept in micro-units of the currency
 * (1e-6); the spend ledger gets whole minor units (docs/OUTREACH.md "Cost").
 *
 * A notice (docs/OUTREACH.md "Notices") is a one-recipient system message,
 * not a campaign: a grant's token for its helper (the token wrapped by the
 * HSM's KEK until it is sent; the blob goes when it is sent, ends, or its
 * grant is revoked) or an alert for the admins. A send job belongs to
 * exactly one campaign or one notice.
 */
static const char schema_v10[] =
	"PRAGMA defer_foreign_keys = ON;"
	"CREATE TABLE leases_v10_keep AS SELECT * FROM leases;"
	"DELETE FROM leases;"
	"CREATE TABLE jobs_v10 ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'jb_'),"
	"  kind TEXT NOT NULL CHECK (kind IN ('verify', 'send_email', 'send_sms')),"
	"  service TEXT NOT NULL CHECK (length(service) BETWEEN 1 AND 64"
	"    AND service NOT GLOB '*[^a-z0-9._-]*'),"
	"  credential TEXT REFERENCES credentials (id),"
	"  params TEXT NOT NULL CHECK (substr(params, 1, 1) = '{' AND length(params) <= 4096),"
	"  idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 128),"
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'dead')),"
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0 AND attempts <= max_attempts),"
	"  max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),"
	"  not_before INTEGER NOT NULL,"
	"  claimed_by TEXT REFERENCES brokers (id),"
	"  claim TEXT CHECK (claim IS NULL OR (length(claim) = 29 AND substr(claim, 1, 3) = 'cl_')),"
	"  visible_until INTEGER,"
	"  estimate_amount INTEGER CHECK (estimate_amount IS NULL OR estimate_amount >= 0),"
	"  estimate_currency TEXT CHECK (estimate_currency IS NULL OR (length(estimate_currency) = 3"
	"    AND estimate_currency NOT GLOB '*[^A-Z]*')),"
	"  result TEXT CHECK (result IS NULL OR (substr(result, 1, 1) = '{'"
	"    AND length(result) <= 4096)),"
	"  error TEXT CHECK (error IS NULL OR length(error) <= 512),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  created_by TEXT NOT NULL,"
	"  campaign TEXT CHECK (campaign IS NULL OR (length(campaign) = 29"
	"    AND substr(campaign, 1, 3) = 'cp_')),"
	"  notice TEXT CHECK (notice IS NULL OR (length(notice) = 29"
	"    AND substr(notice, 1, 3) = 'on_')),"
	"  CHECK ((estimate_amount IS NULL) = (estimate_currency IS NULL)),"
	"  CHECK (state <> 'claimed' OR (claimed_by IS NOT NULL AND claim IS NOT NULL"
	"    AND visible_until IS NOT NULL)),"
	"  CHECK ((state IN ('done', 'dead')) = (finished_at IS NOT NULL)),"
	"  CHECK ((kind IN ('send_email', 'send_sms')) ="
	"    ((campaign IS NOT NULL) + (notice IS NOT NULL) = 1)),"
	"  CHECK (campaign IS NULL OR notice IS NULL)"
	");"
	"INSERT INTO jobs_v10 (id, kind, service, credential, params, idempotency_key, state,"
	"  attempts, max_attempts, not_before, claimed_by, claim, visible_until, estimate_amount,"
	"  estimate_currency, result, error, created_at, updated_at, finished_at, created_by)"
	"  SELECT id, kind, service, credential, params, idempotency_key, state, attempts,"
	"  max_attempts, not_before, claimed_by, claim, visible_until, estimate_amount,"
	"  estimate_currency, result, error, created_at, updated_at, finished_at, created_by"
	"  FROM jobs;"
	"DROP TABLE jobs;"
	"ALTER TABLE jobs_v10 RENAME TO jobs;"
	"INSERT INTO leases SELECT * FROM leases_v10_keep;"
	"DROP TABLE leases_v10_keep;"
	"CREATE INDEX jobs_queue ON jobs (state, not_before, created_at);"
	"CREATE INDEX jobs_by_campaign ON jobs (campaign, state) WHERE campaign IS NOT NULL;"
	"CREATE TABLE outreach_lists ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'ol_'),"
	"  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64"
	"    AND name NOT GLOB '*[^A-Za-z0-9 ._-]*'),"
	"  created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE TABLE outreach_contacts ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'ct_'),"
	"  list_id TEXT NOT NULL REFERENCES outreach_lists (id),"
	"  email TEXT CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254"
	"    AND email = lower(email))),"
	"  phone TEXT CHECK (phone IS NULL OR (length(phone) BETWEEN 8 AND 16"
	"    AND substr(phone, 1, 1) = '+' AND substr(phone, 2) NOT GLOB '*[^0-9]*')),"
	"  name TEXT NOT NULL CHECK (length(name) <= 128),"
	"  fields TEXT NOT NULL CHECK (substr(fields, 1, 1) = '{' AND length(fields) <= 2048),"
	"  consent_email INTEGER NOT NULL CHECK (consent_email IN (0, 1)),"
	"  consent_sms INTEGER NOT NULL CHECK (consent_sms IN (0, 1)),"
	"  created_at INTEGER NOT NULL,"
	"  CHECK (email IS NOT NULL OR phone IS NOT NULL)"
	");"
	"CREATE UNIQUE INDEX outreach_contacts_email ON outreach_contacts (list_id, email)"
	"  WHERE email IS NOT NULL;"
	"CREATE UNIQUE INDEX outreach_contacts_phone ON outreach_contacts (list_id, phone)"
	"  WHERE phone IS NOT NULL;"
	"CREATE INDEX outreach_contacts_by_list ON outreach_contacts (list_id);"
	"CREATE TABLE outreach_suppressions ("
	"  address TEXT NOT NULL CHECK (length(address) BETWEEN 3 AND 254),"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),"
	"  reason TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced', 'complained', 'stop',"
	"    'admin')),"
	"  source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (address, channel)"
	");"
	"CREATE TABLE outreach_campaigns ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'cp_'),"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),"
	"  list_id TEXT NOT NULL REFERENCES outreach_lists (id),"
	"  provider TEXT NOT NULL CHECK (provider IN ('smtp', 'sendgrid', 'mailgun', 'ses',"
	"    'twilio', 'plivo')),"
	"  credential TEXT NOT NULL REFERENCES credentials (id),"
	"  from_addr TEXT NOT NULL CHECK (length(from_addr) BETWEEN 1 AND 320),"
	"  subject TEXT CHECK (subject IS NULL OR length(subject) BETWEEN 1 AND 998),"
	"  text_body TEXT NOT NULL CHECK (length(text_body) BETWEEN 1 AND 65536),"
	"  html_body TEXT CHECK (html_body IS NULL OR length(html_body) <= 262144),"
	"  per_minute INTEGER NOT NULL CHECK (per_minute BETWEEN 1 AND 6000),"
	"  state TEXT NOT NULL CHECK (state IN ('draft', 'running', 'paused', 'done',"
	"    'cancelled')),"
	"  next_send_at INTEGER NOT NULL,"
	"  price_micros INTEGER NOT NULL CHECK (price_micros >= 0),"
	"  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),"
	"  spend_micros INTEGER NOT NULL DEFAULT 0 CHECK (spend_micros >= 0),"
	"  spend_recorded INTEGER NOT NULL DEFAULT 0 CHECK (spend_recorded >= 0),"
	"  recipients INTEGER NOT NULL CHECK (recipients >= 0),"
	"  skipped INTEGER NOT NULL CHECK (skipped >= 0),"
	"  created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  CHECK ((channel = 'email') = (subject IS NOT NULL)),"
	"  CHECK ((state IN ('done', 'cancelled')) = (finished_at IS NOT NULL))"
	");"
	"CREATE INDEX outreach_campaigns_by_state ON outreach_campaigns (state, created_at);"
	"CREATE TABLE outreach_messages ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'om_'),"
	"  campaign_id TEXT NOT NULL REFERENCES outreach_campaigns (id),"
	"  contact_id TEXT NOT NULL REFERENCES outreach_contacts (id),"
	"  job_id TEXT UNIQUE REFERENCES jobs (id),"
	"  to_addr TEXT NOT NULL CHECK (length(to_addr) BETWEEN 3 AND 254),"
	"  token TEXT NOT NULL UNIQUE CHECK (length(token) = 22),"
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'unknown', 'failed',"
	"    'suppressed', 'cancelled')),"
	"  provider_id TEXT CHECK (provider_id IS NULL OR length(provider_id) BETWEEN 1 AND 256),"
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	"  price_micros INTEGER CHECK (price_micros IS NULL OR price_micros >= 0),"
	"  error TEXT CHECK (error IS NULL OR length(error) <= 512),"
	"  sent_at INTEGER,"
	"  delivered_at INTEGER,"
	"  bounced_at INTEGER,"
	"  opened_at INTEGER,"
	"  clicked_at INTEGER,"
	"  replied_at INTEGER,"
	"  unsubscribed_at INTEGER,"
	"  complained_at INTEGER,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (campaign_id, contact_id)"
	");"
	"CREATE INDEX outreach_messages_by_campaign ON outreach_messages (campaign_id, state);"
	"CREATE INDEX outreach_messages_by_provider_id ON outreach_messages (provider_id)"
	"  WHERE provider_id IS NOT NULL;"
	"CREATE TABLE outreach_events ("
	"  id INTEGER PRIMARY KEY NOT NULL,"
	"  event_key TEXT NOT NULL UNIQUE CHECK (length(event_key) BETWEEN 1 AND 300),"
	"  provider TEXT NOT NULL CHECK (provider IN ('smtp', 'sendgrid', 'mailgun', 'ses',"
	"    'twilio', 'plivo', 'bos')),"
	"  kind TEXT NOT NULL CHECK (kind IN ('delivered', 'bounced', 'deferred', 'dropped',"
	"    'failed', 'opened', 'clicked', 'replied', 'unsubscribed', 'complained', 'stop',"
	"    'start', 'price')),"
	"  message_id TEXT REFERENCES outreach_messages (id),"
	"  campaign_id TEXT REFERENCES outreach_campaigns (id),"
	"  address TEXT CHECK (address IS NULL OR length(address) BETWEEN 3 AND 254),"
	"  at INTEGER NOT NULL,"
	"  detail TEXT NOT NULL CHECK (substr(detail, 1, 1) = '{' AND length(detail) <= 4096),"
	"  received_at INTEGER NOT NULL"
	");"
	"CREATE INDEX outreach_events_by_message ON outreach_events (message_id, kind)"
	"  WHERE message_id IS NOT NULL;"
	"CREATE INDEX outreach_events_by_campaign ON outreach_events (campaign_id, kind)"
	"  WHERE campaign_id IS NOT NULL;"
	"CREATE TABLE outreach_notices ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'on_'),"
	"  kind TEXT NOT NULL CHECK (kind IN ('grant_token', 'alert')),"
	"  channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),"
	"  to_addr TEXT NOT NULL CHECK (length(to_addr) BETWEEN 3 AND 254),"
	"  provider TEXT NOT NULL CHECK (provider IN ('smtp', 'sendgrid', 'mailgun', 'ses',"
	"    'twilio', 'plivo')),"
	"  credential TEXT NOT NULL REFERENCES credentials (id),"
	"  from_addr TEXT NOT NULL CHECK (length(from_addr) BETWEEN 1 AND 320),"
	"  subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 998),"
	"  text_body TEXT CHECK (text_body IS NULL OR length(text_body) BETWEEN 1 AND 4096),"
	"  accessor TEXT REFERENCES grants (accessor),"
	"  kek_version INTEGER CHECK (kek_version IS NULL OR kek_version >= 1),"
	"  blob BLOB CHECK (blob IS NULL OR length(blob) BETWEEN 29 AND 128),"
	"  token TEXT NOT NULL UNIQUE CHECK (length(token) = 22),"
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'unknown', 'failed',"
	"    'suppressed', 'cancelled')),"
	"  job_id TEXT UNIQUE REFERENCES jobs (id),"
	"  provider_id TEXT CHECK (provider_id IS NULL OR length(provider_id) BETWEEN 1 AND 256),"
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	"  error TEXT CHECK (error IS NULL OR length(error) <= 512),"
	"  created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  updated_at INTEGER NOT NULL,"
	"  CHECK ((kind = 'grant_token') = (accessor IS NOT NULL)),"
	"  CHECK ((kind = 'alert') = (text_body IS NOT NULL)),"
	"  CHECK (blob IS NULL OR (kind = 'grant_token' AND kek_version IS NOT NULL"
	"    AND state IN ('queued', 'sending')))"
	");"
	"CREATE INDEX outreach_notices_by_state ON outreach_notices (state, created_at);"
	"CREATE TRIGGER outreach_notices_end_on_revoke AFTER UPDATE OF revoked_at ON grants"
	"  WHEN NEW.revoked_at IS NOT NULL BEGIN"
	"  UPDATE outreach_notices SET blob = NULL WHERE accessor = NEW.accessor"
	"    AND blob IS NOT NULL;"
	"  END;"
	/* Signed webhooks' one-time tokens (Mailgun's `token`), kept a day to refuse replays. */
	"CREATE TABLE outreach_webhook_tokens ("
	"  token_key TEXT PRIMARY KEY NOT NULL CHECK (length(token_key) BETWEEN 1 AND 300),"
	"  seen_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX outreach_webhook_tokens_by_time ON outreach_webhook_tokens (seen_at);";

/*
 * Version 11 (issue #16 item 6, docs/ADS.md): ads, one Meta campaign each,
 * and what each spent per day (the ledger gets the difference).
 *
 * jobs is rebuilt as in v10 (the leases set aside the same way, and the job
 * ids of messages and notices, which now reference jobs too) with four
 * more kinds and the ad an ad job belongs to: set exactly for the ad_*
 * kinds. An ad's Meta ids are digits; pending is the object whose creation
 * call began and has not reported (docs/ADS.md "Broker routes").
 */
static const char schema_v11[] =
	"PRAGMA defer_foreign_keys = ON;"
	"CREATE TABLE leases_v11_keep AS SELECT * FROM leases;"
	"DELETE FROM leases;"
	"CREATE TABLE messages_v11_keep AS SELECT id, job_id FROM outreach_messages"
	"  WHERE job_id IS NOT NULL;"
	"UPDATE outreach_messages SET job_id = NULL WHERE job_id IS NOT NULL;"
	"CREATE TABLE notices_v11_keep AS SELECT id, job_id FROM outreach_notices"
	"  WHERE job_id IS NOT NULL;"
	"UPDATE outreach_notices SET job_id = NULL WHERE job_id IS NOT NULL;"
	"CREATE TABLE jobs_v11 ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'jb_'),"
	"  kind TEXT NOT NULL CHECK (kind IN ('verify', 'send_email', 'send_sms', 'ad_create',"
	"    'ad_activate', 'ad_pause', 'ad_insights')),"
	"  service TEXT NOT NULL CHECK (length(service) BETWEEN 1 AND 64"
	"    AND service NOT GLOB '*[^a-z0-9._-]*'),"
	"  credential TEXT REFERENCES credentials (id),"
	"  params TEXT NOT NULL CHECK (substr(params, 1, 1) = '{' AND length(params) <= 4096),"
	"  idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 128),"
	"  state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'dead')),"
	"  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0 AND attempts <= max_attempts),"
	"  max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),"
	"  not_before INTEGER NOT NULL,"
	"  claimed_by TEXT REFERENCES brokers (id),"
	"  claim TEXT CHECK (claim IS NULL OR (length(claim) = 29 AND substr(claim, 1, 3) = 'cl_')),"
	"  visible_until INTEGER,"
	"  estimate_amount INTEGER CHECK (estimate_amount IS NULL OR estimate_amount >= 0),"
	"  estimate_currency TEXT CHECK (estimate_currency IS NULL OR (length(estimate_currency) = 3"
	"    AND estimate_currency NOT GLOB '*[^A-Z]*')),"
	"  result TEXT CHECK (result IS NULL OR (substr(result, 1, 1) = '{'"
	"    AND length(result) <= 4096)),"
	"  error TEXT CHECK (error IS NULL OR length(error) <= 512),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  created_by TEXT NOT NULL,"
	"  campaign TEXT CHECK (campaign IS NULL OR (length(campaign) = 29"
	"    AND substr(campaign, 1, 3) = 'cp_')),"
	"  notice TEXT CHECK (notice IS NULL OR (length(notice) = 29"
	"    AND substr(notice, 1, 3) = 'on_')),"
	"  ad TEXT CHECK (ad IS NULL OR (length(ad) = 29 AND substr(ad, 1, 3) = 'ad_')),"
	"  CHECK ((estimate_amount IS NULL) = (estimate_currency IS NULL)),"
	"  CHECK (state <> 'claimed' OR (claimed_by IS NOT NULL AND claim IS NOT NULL"
	"    AND visible_until IS NOT NULL)),"
	"  CHECK ((state IN ('done', 'dead')) = (finished_at IS NOT NULL)),"
	"  CHECK ((kind IN ('send_email', 'send_sms')) ="
	"    ((campaign IS NOT NULL) + (notice IS NOT NULL) = 1)),"
	"  CHECK (campaign IS NULL OR notice IS NULL),"
	"  CHECK ((kind IN ('ad_create', 'ad_activate', 'ad_pause', 'ad_insights')) ="
	"    (ad IS NOT NULL))"
	");"
	"INSERT INTO jobs_v11 (id, kind, service, credential, params, idempotency_key, state,"
	"  attempts, max_attempts, not_before, claimed_by, claim, visible_until, estimate_amount,"
	"  estimate_currency, result, error, created_at, updated_at, finished_at, created_by,"
	"  campaign, notice)"
	"  SELECT id, kind, service, credential, params, idempotency_key, state, attempts,"
	"  max_attempts, not_before, claimed_by, claim, visible_until, estimate_amount,"
	"  estimate_currency, result, error, created_at, updated_at, finished_at, created_by,"
	"  campaign, notice FROM jobs;"
	"DROP TABLE jobs;"
	"ALTER TABLE jobs_v11 RENAME TO jobs;"
	"INSERT INTO leases SELECT * FROM leases_v11_keep;"
	"DROP TABLE leases_v11_keep;"
	"UPDATE outreach_messages SET job_id = (SELECT k.job_id FROM messages_v11_keep AS k"
	"  WHERE k.id = outreach_messages.id) WHERE id IN (SELECT id FROM messages_v11_keep);"
	"DROP TABLE messages_v11_keep;"
	"UPDATE outreach_notices SET job_id = (SELECT k.job_id FROM notices_v11_keep AS k"
	"  WHERE k.id = outreach_notices.id) WHERE id IN (SELECT id FROM notices_v11_keep);"
	"DROP TABLE notices_v11_keep;"
	"CREATE INDEX jobs_queue ON jobs (state, not_before, created_at);"
	"CREATE INDEX jobs_by_campaign ON jobs (campaign, state) WHERE campaign IS NOT NULL;"
	"CREATE INDEX jobs_by_ad ON jobs (ad, kind) WHERE ad IS NOT NULL;"
	"CREATE TABLE outreach_ads ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 29 AND substr(id, 1, 3) = 'ad_'),"
	"  name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 128),"
	"  credential TEXT NOT NULL REFERENCES credentials (id),"
	"  account TEXT NOT NULL CHECK (length(account) BETWEEN 5 AND 24"
	"    AND substr(account, 1, 4) = 'act_' AND substr(account, 5) NOT GLOB '*[^0-9]*'),"
	"  post TEXT NOT NULL CHECK (length(post) BETWEEN 3 AND 41"
	"    AND post NOT GLOB '*[^0-9_]*'),"
	"  objective TEXT NOT NULL CHECK (objective IN ('OUTCOME_TRAFFIC', 'OUTCOME_AWARENESS',"
	"    'OUTCOME_ENGAGEMENT')),"
	"  countries TEXT NOT NULL CHECK (substr(countries, 1, 1) = '[' AND length(countries) <= 256),"
	"  special_ad_categories TEXT NOT NULL CHECK (substr(special_ad_categories, 1, 1) = '['"
	"    AND length(special_ad_categories) <= 256),"
	"  daily_budget INTEGER NOT NULL CHECK (daily_budget > 0),"
	"  currency TEXT NOT NULL CHECK (length(currency) = 3 AND currency NOT GLOB '*[^A-Z]*'),"
	"  state TEXT NOT NULL CHECK (state IN ('creating', 'active', 'pausing', 'paused',"
	"    'resuming', 'failed')),"
	"  pause_reason TEXT CHECK (pause_reason IS NULL OR pause_reason IN ('admin', 'budget')),"
	"  meta_campaign TEXT CHECK (meta_campaign IS NULL OR (length(meta_campaign) BETWEEN 1"
	"    AND 32 AND meta_campaign NOT GLOB '*[^0-9]*')),"
	"  meta_adset TEXT CHECK (meta_adset IS NULL OR (length(meta_adset) BETWEEN 1 AND 32"
	"    AND meta_adset NOT GLOB '*[^0-9]*')),"
	"  meta_creative TEXT CHECK (meta_creative IS NULL OR (length(meta_creative) BETWEEN 1"
	"    AND 32 AND meta_creative NOT GLOB '*[^0-9]*')),"
	"  meta_ad TEXT CHECK (meta_ad IS NULL OR (length(meta_ad) BETWEEN 1 AND 32"
	"    AND meta_ad NOT GLOB '*[^0-9]*')),"
	"  pending TEXT CHECK (pending IS NULL OR pending IN ('campaign', 'adset', 'creative',"
	"    'ad')),"
	"  error TEXT CHECK (error IS NULL OR length(error) <= 512),"
	"  last_insights_at INTEGER,"
	"  paused_at INTEGER,"
	"  created_by TEXT NOT NULL CHECK (length(created_by) BETWEEN 1 AND 64),"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  CHECK (pending IS NULL OR state = 'creating'),"
	"  CHECK (state NOT IN ('pausing', 'paused') OR pause_reason IS NOT NULL),"
	"  CHECK (state IN ('pausing', 'paused', 'resuming') OR pause_reason IS NULL)"
	");"
	"CREATE INDEX outreach_ads_by_state ON outreach_ads (state, created_at);"
	"CREATE TABLE outreach_ad_spend ("
	"  ad TEXT NOT NULL REFERENCES outreach_ads (id),"
	"  day TEXT NOT NULL CHECK (length(day) = 10"
	"    AND day GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),"
	"  amount INTEGER NOT NULL CHECK (amount >= 0),"
	"  PRIMARY KEY (ad, day)"
	") WITHOUT ROWID;";

static const struct schema_migration schema_all[] = {
	{ 1, "credentials and credential versions", schema_v1 },
	{ 2, "admin accounts and recovery codes", schema_v2 },
	{ 3, "helpers, grants and credential reads", schema_v3 },
	{ 4, "audit log and signed checkpoints", schema_v4 },
	{ 5, "audit decisions include invalid; audit time index", schema_v5 },
	{ 6, "credential versions to seal with their clear columns bound", schema_v6 },
	{ 7, "brokers, jobs and leases", schema_v7 },
	{ 8, "spend ledger, budgets and alerts", schema_v8 },
	{ 9, "approvals and grant pickups", schema_v9 },
	{ 10, "outreach: lists, campaigns, messages, events, notices; send jobs", schema_v10 },
	{ 11, "outreach: ads and their daily spend; ad jobs", schema_v11 },
};

const struct schema_migration *
schema_migrations(size_t *count)
{
	*count = BOS_ARRAY_LEN(schema_all);
	return schema_all;
}

int
schema_latest(void)
{
	return schema_all[BOS_ARRAY_LEN(schema_all) - 1].version;
}
