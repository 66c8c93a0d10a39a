/* Compiler attributes shared by every BOS program. */
#ifndef BOS_COMPILER_H
#define BOS_COMPILER_H

/* Fallible functions must have their result checked (STYLE.md habit 8). */
#define BOS_WUR __attribute__((warn_unused_result))
#define BOS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BOS_NORETURN __attribute__((noreturn))
#define BOS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
