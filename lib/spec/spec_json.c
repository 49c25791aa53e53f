// SPDX-License-Identifier: Apache-2.0
/*
 * Typed access to a json-c tree for the spec loader. Every failure names the
 * JSON path; the root object's path is "" and prints as ".".
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/spec/spec_internal.h"

void sj_key(char *buf, const char *parent, const char *key)
{
	snprintf(buf, SPEC_JPATH_MAX, "%s.%s", parent, key);
}

void sj_idx(char *buf, const char *parent, size_t index)
{
	snprintf(buf, SPEC_JPATH_MAX, "%s[%zu]", parent, index);
}

int sj_fail(struct krun_err **err, const char *path, const char *fmt, ...)
{
	char msg[KRUN_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return krun_err_set(err, EINVAL, "%s: %s", path[0] ? path : ".", msg);
}

/* 1-based line and column of a byte offset, for syntax errors. */
static void line_col(const char *text, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int syntax_error(const char *text, size_t off, const char *what,
			struct krun_err **err)
{
	size_t line, col;

	line_col(text, off, &line, &col);
	return krun_err_set(err, EINVAL,
			    "invalid JSON at line %zu, column %zu: %s", line,
			    col, what);
}

int sj_parse(const char *text, size_t len, struct json_object **out,
	     struct krun_err **err)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	struct json_object *obj;
	size_t end;

	if (!tok)
		return krun_err_set(err, ENOMEM, "cannot parse JSON");
	/* len + 1 feeds the NUL too, so a trailing number is complete */
	obj = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue ||
	    jerr == json_tokener_error_parse_eof)
		return syntax_error(text, len, "unexpected end of input", err);
	if (jerr != json_tokener_success)
		return syntax_error(text, end, json_tokener_error_desc(jerr),
				    err);
	while (end < len && isspace((unsigned char)text[end]))
		end++;
	if (end < len) {
		json_object_put(obj);
		return syntax_error(text, end,
				    "unexpected data after the document", err);
	}
	*out = obj;
	return 0;
}

static const char *type_noun(json_type type)
{
	switch (type) {
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	case json_type_boolean:
		return "a boolean";
	case json_type_int:
		return "an integer";
	default:
		return "a value";
	}
}

int sj_expect(struct json_object *val, json_type type, const char *path,
	      struct krun_err **err)
{
	if (!json_object_is_type(val, type))
		return sj_fail(err, path, "expected %s", type_noun(type));
	return 0;
}

int sj_string(struct json_object *val, const char *path, const char **out,
	      struct krun_err **err)
{
	int ret = sj_expect(val, json_type_string, path, err);

	if (ret < 0)
		return ret;
	if (strlen(json_object_get_string(val)) !=
	    (size_t)json_object_get_string_len(val))
		return sj_fail(err, path, "contains a NUL character");
	*out = json_object_get_string(val);
	return 0;
}

int sj_bool(struct json_object *val, const char *path, bool *out,
	    struct krun_err **err)
{
	int ret = sj_expect(val, json_type_boolean, path, err);

	if (ret == 0)
		*out = json_object_get_boolean(val);
	return ret;
}

int sj_uint(struct json_object *val, const char *path, uint64_t max,
	    uint64_t *out, struct krun_err **err)
{
	int ret = sj_expect(val, json_type_int, path, err);
	uint64_t v;

	if (ret < 0)
		return ret;
	/* json-c keeps integers above INT64_MAX as uint64 */
	if (json_object_get_int64(val) < 0)
		return sj_fail(err, path, "must be between 0 and %" PRIu64,
			       max);
	errno = 0;
	v = json_object_get_uint64(val);
	if (errno != 0 || v > max)
		return sj_fail(err, path, "must be between 0 and %" PRIu64,
			       max);
	*out = v;
	return 0;
}

int sj_member_string(struct json_object *obj, const char *key, const char *path,
		     const char **out, struct krun_err **err)
{
	struct json_object *val;

	if (!json_object_object_get_ex(obj, key, &val))
		return sj_fail(err, path, "missing");
	return sj_string(val, path, out, err);
}

int sj_member_uint(struct json_object *obj, const char *key, const char *path,
		   uint64_t max, uint64_t *out, struct krun_err **err)
{
	struct json_object *val;

	if (!json_object_object_get_ex(obj, key, &val))
		return sj_fail(err, path, "missing");
	return sj_uint(val, path, max, out, err);
}

int sj_opt_string(struct json_object *obj, const char *key, const char *parent,
		  const char **out, struct krun_err **err)
{
	char path[SPEC_JPATH_MAX];
	struct json_object *val;

	if (!json_object_object_get_ex(obj, key, &val))
		return 0;
	sj_key(path, parent, key);
	return sj_string(val, path, out, err);
}

int sj_opt_bool(struct json_object *obj, const char *key, const char *parent,
		bool *out, struct krun_err **err)
{
	char path[SPEC_JPATH_MAX];
	struct json_object *val;

	if (!json_object_object_get_ex(obj, key, &val))
		return 0;
	sj_key(path, parent, key);
	return sj_bool(val, path, out, err);
}

int sj_strv(struct json_object *val, const char *path, const char ***out,
	    struct krun_err **err)
{
	char child[SPEC_JPATH_MAX];
	const char **v;
	size_t n;
	int ret;

	ret = sj_expect(val, json_type_array, path, err);
	if (ret < 0)
		return ret;
	n = json_object_array_length(val);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return krun_err_set(err, ENOMEM, "%s: out of memory", path);
	for (size_t i = 0; i < n; i++) {
		sj_idx(child, path, i);
		ret = sj_string(json_object_array_get_idx(val, i), child, &v[i],
				err);
		if (ret < 0) {
			free(v);
			return ret;
		}
	}
	free(*out); /* a repeated key replaces the earlier vector */
	*out = v;
	return 0;
}

int spec_parse_log_level(const char *text, uint32_t *level,
			 struct krun_err **err)
{
	static const char *const names[] = {"off",  "error", "warn",
					    "info", "debug", "trace"};

	for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char digit[2] = {(char)('0' + i), '\0'};

		if (strcasecmp(text, names[i]) == 0 ||
		    strcmp(text, digit) == 0) {
			*level = i;
			return 0;
		}
	}
	return krun_err_set(err, EINVAL,
			    "invalid log level `%s` (expected 0-5 or off, "
			    "error, warn, info, debug, trace)",
			    text);
}

static int size_shift(const char *suffix, unsigned *shift)
{
	static const char units[] = "KMGT";
	const char *u;

	if (suffix[0] == '\0') {
		*shift = 0;
		return 0;
	}
	u = strchr(units, toupper((unsigned char)suffix[0]));
	if (!u || suffix[1] != '\0')
		return -1;
	*shift = 10u * (unsigned)(u - units + 1);
	return 0;
}

int spec_parse_size(const char *text, uint64_t *bytes, struct krun_err **err)
{
	unsigned long long v;
	unsigned shift;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		goto bad;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || size_shift(end, &shift) < 0)
		goto bad;
	if (shift && v > (UINT64_MAX >> shift))
		goto bad;
	*bytes = (uint64_t)v << shift;
	return 0;
bad:
	return krun_err_set(err, EINVAL,
			    "invalid size `%s` (expected bytes, optionally "
			    "with a K, M, G or T suffix)",
			    text);
}
