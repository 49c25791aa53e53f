// SPDX-License-Identifier: Apache-2.0
/*
 * Text forms shared by the CLI, the JSON spec and the API: memory sizes,
 * MAC addresses, port maps, rlimits and the disk/share/vsock specs. Every
 * parser consumes the whole string and rejects anything it does not
 * recognise, naming the offending text.
 */
#include "lib/config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "lib/config/config_internal.h"
#include "util/cleanup.h"

static const struct {
	int resource;
	const char *name;
} rlimit_names[] = {
	{RLIMIT_CPU, "CPU"},	       {RLIMIT_FSIZE, "FSIZE"},
	{RLIMIT_DATA, "DATA"},	       {RLIMIT_STACK, "STACK"},
	{RLIMIT_CORE, "CORE"},	       {RLIMIT_RSS, "RSS"},
	{RLIMIT_NPROC, "NPROC"},       {RLIMIT_NOFILE, "NOFILE"},
	{RLIMIT_MEMLOCK, "MEMLOCK"},   {RLIMIT_AS, "AS"},
	{RLIMIT_LOCKS, "LOCKS"},       {RLIMIT_SIGPENDING, "SIGPENDING"},
	{RLIMIT_MSGQUEUE, "MSGQUEUE"}, {RLIMIT_NICE, "NICE"},
	{RLIMIT_RTPRIO, "RTPRIO"},     {RLIMIT_RTTIME, "RTTIME"},
};

#define N_RLIMIT_NAMES (sizeof(rlimit_names) / sizeof(rlimit_names[0]))

const char *config_rlimit_name(int resource)
{
	for (size_t i = 0; i < N_RLIMIT_NAMES; i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return NULL;
}

/* Name (with or without RLIMIT_, any case) or number; -1 if unknown. */
static int rlimit_lookup(const char *text, size_t len)
{
	uint64_t number;

	if (cfg_parse_u64(text, len, RLIM_NLIMITS - 1, &number))
		return config_rlimit_name((int)number) ? (int)number : -1;
	if (len > 7 && !strncasecmp(text, "RLIMIT_", 7)) {
		text += 7;
		len -= 7;
	}
	for (size_t i = 0; i < N_RLIMIT_NAMES; i++)
		if (strlen(rlimit_names[i].name) == len &&
		    !strncasecmp(text, rlimit_names[i].name, len))
			return rlimit_names[i].resource;
	return -1;
}

static bool parse_rlim_value(const char *text, size_t len, uint64_t *out)
{
	if ((len == 9 && !strncasecmp(text, "unlimited", len)) ||
	    (len == 8 && !strncasecmp(text, "infinity", len))) {
		*out = RLIM_INFINITY;
		return true;
	}
	return cfg_parse_u64(text, len, UINT64_MAX, out);
}

int cfg_parse_rlimit(const char *text, struct krun_rlimit *rl,
		     struct krun_err **err)
{
	const char *eq, *colon;
	struct krun_rlimit out;

	if (!text)
		return krun_err_set(err, EINVAL, "rlimit: none given");
	eq = strchr(text, '=');
	colon = eq ? strchr(eq, ':') : NULL;
	if (!colon)
		return krun_err_set(
			err, EINVAL,
			"invalid rlimit `%s`: expected RESOURCE=CUR:MAX", text);
	out.resource = rlimit_lookup(text, (size_t)(eq - text));
	if (out.resource < 0)
		return krun_err_set(
			err, EINVAL,
			"invalid rlimit `%s`: unknown resource `%.*s`", text,
			(int)(eq - text), text);
	if (!parse_rlim_value(eq + 1, (size_t)(colon - eq - 1), &out.cur))
		return krun_err_set(
			err, EINVAL,
			"invalid rlimit `%s`: soft limit is not a number or `unlimited`",
			text);
	if (!parse_rlim_value(colon + 1, strlen(colon + 1), &out.max))
		return krun_err_set(
			err, EINVAL,
			"invalid rlimit `%s`: hard limit is not a number or `unlimited`",
			text);
	/* A soft limit above the hard one is passed on as libkrun does; the
	 * guest's setrlimit() refuses it and the run ends with status 125
	 * and that message. */
	*rl = out;
	return 0;
}

static const struct {
	const char *suffix;
	uint32_t mib;
} mem_units[] = {
	{"", 1},       {"M", 1},	   {"MiB", 1},		 {"G", 1024},
	{"GiB", 1024}, {"T", 1024 * 1024}, {"TiB", 1024 * 1024},
};

int config_parse_memory(const char *text, uint32_t *ram_mib,
			struct krun_err **err)
{
	size_t digits;
	uint64_t value;

	if (!text)
		return krun_err_set(err, EINVAL, "memory size: none given");
	digits = strspn(text, "0123456789");
	if (!cfg_parse_u64(text, digits, UINT32_MAX, &value))
		return krun_err_set(
			err, EINVAL,
			"invalid memory size `%s`: expected a number of MiB with an optional M, G or T suffix",
			text);
	for (size_t i = 0; i < sizeof(mem_units) / sizeof(mem_units[0]); i++) {
		if (strcasecmp(text + digits, mem_units[i].suffix))
			continue;
		if (value > UINT32_MAX / mem_units[i].mib)
			return krun_err_set(
				err, EINVAL,
				"invalid memory size `%s`: too large", text);
		*ram_mib = (uint32_t)(value * mem_units[i].mib);
		return 0;
	}
	return krun_err_set(
		err, EINVAL,
		"invalid memory size `%s`: unknown unit `%s` (use M, G or T)",
		text, text + digits);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int config_parse_mac(const char *text, uint8_t mac[6], struct krun_err **err)
{
	uint8_t out[6];

	if (!text)
		return krun_err_set(err, EINVAL, "MAC address: none given");
	if (strlen(text) != 17)
		goto malformed;
	for (int i = 0; i < 6; i++) {
		int hi = hex_value(text[3 * i]);
		int lo = hex_value(text[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && text[3 * i + 2] != ':'))
			goto malformed;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, out, sizeof(out));
	return 0;
malformed:
	return krun_err_set(
		err, EINVAL,
		"invalid MAC address `%s`: expected six hex byte pairs like `52:54:00:12:34:56`",
		text);
}

static int port_err(const char *text, const char *why, struct krun_err **err)
{
	return krun_err_set(err, EINVAL, "invalid port map `%s`: %s", text,
			    why);
}

/* Strip "/tcp" or "/udp" from the end of s (length *len). */
static int parse_proto(const char *text, size_t *len, uint8_t *proto,
		       struct krun_err **err)
{
	const char *slash = memchr(text, '/', *len);

	*proto = KRUN_PORT_TCP;
	if (!slash)
		return 0;
	if (!strcmp(slash, "/udp"))
		*proto = KRUN_PORT_UDP;
	else if (strcmp(slash, "/tcp"))
		return port_err(text, "the protocol must be `tcp` or `udp`",
				err);
	*len = (size_t)(slash - text);
	return 0;
}

/* The host address before the last two fields: "IP" or "[IPv6]". */
static int parse_addr(const char *text, size_t len, struct krun_port *port)
{
	unsigned char bin[16];
	char buf[KRUN_PORT_ADDR_MAX];
	bool v6 = len >= 2 && text[0] == '[' && text[len - 1] == ']';

	if (v6) {
		text++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, bin) != 1)
		return -1;
	memcpy(port->addr, buf, len + 1);
	return 0;
}

static int parse_number(const char *s, size_t len, uint16_t *out)
{
	uint64_t v;

	if (!cfg_parse_u64(s, len, 65535, &v) || v == 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int cfg_parse_port(const char *text, struct krun_port *port,
		   struct krun_err **err)
{
	const char *guest, *host;
	size_t len;
	int ret;

	if (!text)
		return krun_err_set(err, EINVAL, "port map: no entry given");
	*port = (struct krun_port){0};
	len = strlen(text);
	ret = parse_proto(text, &len, &port->proto, err);
	if (ret < 0)
		return ret;
	guest = memrchr(text, ':', len);
	if (!guest)
		return port_err(text, "expected [IP:]HOST:GUEST[/tcp|/udp]",
				err);
	host = guest > text ? memrchr(text, ':', (size_t)(guest - text)) : NULL;
	host = host ? host + 1 : text;
	if (parse_number(host, (size_t)(guest - host), &port->host) < 0)
		return port_err(text,
				"host port is not a number in 1..65535", err);
	if (parse_number(guest + 1, len - (size_t)(guest + 1 - text),
			 &port->guest) < 0)
		return port_err(text,
				"guest port is not a number in 1..65535", err);
	if (host > text && parse_addr(text, (size_t)(host - 1 - text), port) < 0)
		return port_err(text,
				"the host address is not an IPv4 address or "
				"a bracketed IPv6 address",
				err);
	return 0;
}

/* If s (length *len) ends in ":<word>", drop it and return true. */
static bool strip_suffix(const char *s, size_t *len, const char *word)
{
	size_t wlen = strlen(word);

	if (*len < wlen + 2 || s[*len - wlen - 1] != ':' ||
	    strncmp(s + *len - wlen, word, wlen))
		return false;
	*len -= wlen + 1;
	return true;
}

/* Strip a trailing ":cache=POLICY" from s[0..*len), parsing POLICY. */
static int strip_cache_suffix(const char *s, size_t *len, bool *found,
			      enum krun_fs_cache *cache, struct krun_err **err)
{
	static const char key[] = ":cache=";
	const char *colon = NULL;
	cleanup_free char *word = NULL;

	for (size_t i = *len; i > 0; i--) {
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	}
	if (!colon || strncmp(colon, key, sizeof(key) - 1) != 0)
		return 0;
	word = strndup(colon + sizeof(key) - 1,
		       *len - (size_t)(colon - s) - (sizeof(key) - 1));
	if (!word)
		return krun_err_set(err, ENOMEM, "out of memory");
	*found = true;
	*len = (size_t)(colon - s);
	return config_parse_fs_cache(word, cache, err);
}

/* Split "HEAD:REST" into a fresh HEAD string and a pointer to REST. */
static int split_first(const char *text, const char *form, const char *syntax,
		       char **head, const char **rest, struct krun_err **err)
{
	const char *colon = text ? strchr(text, ':') : NULL;

	if (!text)
		return krun_err_set(err, EINVAL, "%s: none given", form);
	if (!colon)
		return krun_err_set(err, EINVAL, "invalid %s `%s`: expected %s",
				    form, text, syntax);
	*head = strndup(text, (size_t)(colon - text));
	if (!*head)
		return krun_err_set(err, ENOMEM, "out of memory parsing `%s`",
				    text);
	*rest = colon + 1;
	return 0;
}

int config_add_disk_spec(struct krun_config *cfg, const char *text,
			 struct krun_err **err)
{
	cleanup_free char *id = NULL;
	cleanup_free char *path = NULL;
	uint32_t format = KRUN_FORMAT_RAW;
	bool ro = false;
	const char *rest;
	size_t len;
	int ret = split_first(text, "disk spec", "ID:PATH[:raw|qcow2][:ro]",
			      &id, &rest, err);

	if (ret < 0)
		return ret;
	len = strlen(rest);
	if (strip_suffix(rest, &len, "ro"))
		ro = true;
	else
		strip_suffix(rest, &len, "rw");
	if (strip_suffix(rest, &len, "qcow2"))
		format = KRUN_FORMAT_QCOW2;
	else
		strip_suffix(rest, &len, "raw");
	path = strndup(rest, len);
	if (!path)
		return krun_err_set(err, ENOMEM, "out of memory parsing `%s`",
				    text);
	return config_add_disk(cfg, id, path, format, ro, err);
}

int config_add_share_spec(struct krun_config *cfg, const char *text,
			  struct krun_err **err)
{
	cleanup_free char *tag = NULL;
	cleanup_free char *host = NULL;
	const char *rest, *guest = NULL;
	bool ro = false, setid = false, has_cache = false;
	enum krun_fs_cache cache = KRUN_FS_CACHE_AUTO;
	size_t len;
	int ret = split_first(
		text, "share spec",
		"TAG:HOSTDIR[:GUESTPATH][:ro][:setid][:cache=POLICY]", &tag,
		&rest, err);

	if (ret < 0)
		return ret;
	len = strlen(rest);
	ret = strip_cache_suffix(rest, &len, &has_cache, &cache, err);
	if (ret < 0)
		return ret;
	if (strip_suffix(rest, &len, "setid"))
		setid = true;
	if (strip_suffix(rest, &len, "ro"))
		ro = true;
	else
		strip_suffix(rest, &len, "rw");
	/* The guest path is absolute, so it follows the last ":/". */
	for (size_t i = len; i > 1; i--) {
		if (rest[i - 1] == '/' && rest[i - 2] == ':') {
			guest = rest + i - 1;
			break;
		}
	}
	host = strndup(rest, guest ? (size_t)(guest - 1 - rest) : len);
	if (!host)
		return krun_err_set(err, ENOMEM, "out of memory parsing `%s`",
				    text);
	if (guest) {
		cleanup_free char *guest_copy =
			strndup(guest, len - (size_t)(guest - rest));

		if (!guest_copy)
			return krun_err_set(err, ENOMEM,
					    "out of memory parsing `%s`", text);
		ret = config_add_share(cfg, tag, host, guest_copy, ro, 0, err);
	} else {
		ret = config_add_share(cfg, tag, host, NULL, ro, 0, err);
	}
	if (ret == 0 && setid)
		ret = config_set_share_setid(cfg, tag, true, err);
	if (ret == 0 && has_cache)
		ret = config_set_share_cache(cfg, tag, cache, err);
	return ret;
}

int config_add_vsock_spec(struct krun_config *cfg, const char *text,
			  struct krun_err **err)
{
	static const char listen_opt[] = ",listen";
	cleanup_free char *port_text = NULL;
	cleanup_free char *path = NULL;
	const char *rest;
	uint64_t port;
	size_t len;
	bool listen;
	int ret = split_first(text, "vsock spec", "PORT:PATH[,listen]",
			      &port_text, &rest, err);

	if (ret < 0)
		return ret;
	if (!cfg_parse_u64(port_text, SIZE_MAX, UINT32_MAX - 1, &port))
		return krun_err_set(
			err, EINVAL,
			"invalid vsock spec `%s`: port is not a number in 1..%u",
			text, UINT32_MAX - 1);
	len = strlen(rest);
	listen = len > strlen(listen_opt) &&
		 !strcmp(rest + len - strlen(listen_opt), listen_opt);
	path = strndup(rest, listen ? len - strlen(listen_opt) : len);
	if (!path)
		return krun_err_set(err, ENOMEM, "out of memory parsing `%s`",
				    text);
	return config_add_vsock_port(cfg, (uint32_t)port, path, listen, err);
}
