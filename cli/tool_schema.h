/*
 * The JSON Schema subset of tool.h, as a whole: tool_args_check refuses a
 * schema outside it before looking at any argument, and tools/list refuses
 * a tool table holding one, so that a keyword the server would not check
 * (pattern, oneOf, a nullable type) fails loudly instead of letting
 * arguments through unchecked.
 */
#ifndef BOS_TOOL_SCHEMA_H
#define BOS_TOOL_SCHEMA_H

#include <jansson.h>
#include "compiler.h"
#include "err.h"

/* Nesting deeper than this is refused (the tools' schemas are shallow). */
#define TOOL_SCHEMA_DEPTH_MAX 16

/*
 * 0 when schema is an object schema within the subset throughout: known
 * keywords only, types object/string/integer/boolean/array, properties and
 * items that are schemas, required naming declared properties, bounds of the
 * right kind. Else -1 with BOS_E_CONFIG and a message naming the place.
 */
int tool_schema_valid(const json_t *schema, struct bos_err *err) BOS_WUR;

#endif
