/*
 * Who is asking (auth.h finds out, session.h remembers admins'): kept apart
 * from both so that each can name a principal without the other.
 */
#ifndef BOS_PRINCIPAL_H
#define BOS_PRINCIPAL_H

enum principal_kind { PRINCIPAL_ADMIN = 1, PRINCIPAL_HELPER, PRINCIPAL_BROKER, PRINCIPAL_LOCAL };

enum session_state { SESSION_TOTP_PENDING = 1, SESSION_FULL = 2 };

struct principal {
	enum principal_kind kind;
	char id[48];          /* admin id */
	char name[65];        /* admin name */
	char accessor[48];    /* public accessor id of the session, or of a helper's grant:
	                       * the only thing logged */
	enum session_state state;
	char helper_id[48];   /* helpers: "hl_..." of the grant's helper */
	char broker_id[48];   /* brokers: "bk_..." */
	char role[16];        /* brokers: their role in roles.policy (outreach, monitor, hiring) */
};

#endif
