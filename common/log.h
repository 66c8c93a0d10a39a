/*
 * Logging: one line per event on stderr (journald picks it up under systemd),
 * format-checked, control characters escaped. Log types, ids, lengths and
 * outcomes, never payloads or secrets (STYLE.md habit 9).
 */
#ifndef BOS_LOG_H
#define BOS_LOG_H

#include "compiler.h"

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERR };

/* Set the program name shown in each line and the minimum level. */
void log_init(const char *prog, enum log_level min);

void log_msg(enum log_level lvl, const char *fmt, ...) BOS_PRINTF(2, 3);

#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)

#endif
