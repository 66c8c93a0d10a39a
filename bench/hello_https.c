/*
 * make bench: the HTTPS "hello" limit, libmicrohttpd doing nothing but TLS
 * and HTTP with the vault's daemon options (vault/http/http.c: thread per
 * connection, poll, TLS 1.3 only, the same connection, memory and per-IP
 * limits, strict parsing) and answering a credential-sized JSON body.
 *
 *   hello_https PORT CERT_PEM KEY_PEM [CONN_LIMIT [PER_IP_LIMIT]]
 *
 * Listens on 127.0.0.1:PORT, prints "ready: PORT" once serving, and runs
 * until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>

/* The vault's values (vault/http/http.c, vault/core/config.c defaults). */
#define HELLO_CONN_MEMORY (32 * 1024)
#define HELLO_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define HELLO_BACKLOG 128
#define HELLO_TIMEOUT_S 30
#define HELLO_THREAD_STACK (512 * 1024)   /* vault/http/http.c HTTP_THREAD_STACK */
#define PEM_MAX (64 * 1024)

/* About the size of a credential read's answer. */
static const char hello_body[] =
    "{\"id\":\"cr_aaaaaaaaaaaaaaaaaaaaaaaaaa\",\"name\":\"bench-read\",\"type\":\"api_key\","
    "\"service\":\"bench\",\"version\":1,\"status\":\"active\",\"created_at\":"
    "\"2026-11-28T19:13:30Z\",\"updated_at\":\"2026-11-28T19:13:30Z\",\"metadata\":{},"
    "\"secret\":\"bench-secret-0123456789abcdef\",\"secret_version\":1}";

static void
hello_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("hello_https: libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* Answer on the second call: 0.9.75 closes the connection otherwise. */
static enum MHD_Result
hello_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	static int first_call_marker;
	struct MHD_Response *resp;
	enum MHD_Result r;

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	if (*con_cls == NULL) {
		*con_cls = &first_call_marker;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(sizeof(hello_body) - 1,
	    (void *)(uintptr_t)hello_body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(resp, "Content-Type", "application/json");
	(void)MHD_add_response_header(resp, "X-Request-Id", "00000000000000000000000000");
	r = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

static char *
read_pem(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "hello_https: cannot open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if ((buf = calloc(1, PEM_MAX + 1)) == NULL)
		exit(1);
	n = fread(buf, 1, PEM_MAX, f);
	if (ferror(f) || n == 0 || n == PEM_MAX) {
		fprintf(stderr, "hello_https: cannot read %s\n", path);
		exit(1);
	}
	(void)fclose(f);
	return buf;
}

static unsigned
parse_uint(const char *s, unsigned max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > max) {
		fprintf(stderr, "hello_https: bad number %s\n", s);
		exit(2);
	}
	return (unsigned)v;
}

static int
listen_tcp(unsigned port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (const struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(fd, HELLO_BACKLOG) != 0) {
		fprintf(stderr, "hello_https: cannot listen on port %u: %s\n", port,
		    strerror(errno));
		exit(1);
	}
	return fd;
}

int
main(int argc, char **argv)
{
	unsigned port, conn_limit = 2048, per_ip = 64;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_TLS;
	struct MHD_Daemon *d;
	char *cert, *key;
	sigset_t set;
	int fd, sig;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: hello_https PORT CERT_PEM KEY_PEM [CONN_LIMIT "
		    "[PER_IP_LIMIT]]\n");
		return 2;
	}
	port = parse_uint(argv[1], 65535);
	if (argc > 4)
		conn_limit = parse_uint(argv[4], 100000);
	if (argc > 5)
		per_ip = parse_uint(argv[5], 100000);
	if (per_ip > conn_limit)
		per_ip = conn_limit;
	cert = read_pem(argv[2]);
	key = read_pem(argv[3]);
	/* Block the signals before any thread starts, then wait for one. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return 1;
	fd = listen_tcp(port);
	d = MHD_start_daemon(flags, 0, NULL, NULL, hello_access, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, hello_log, NULL,
	    MHD_OPTION_CONNECTION_LIMIT, conn_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HELLO_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HELLO_CONN_MEMORY,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
	    MHD_OPTION_HTTPS_MEM_CERT, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_HTTPS_PRIORITIES, HELLO_TLS_PRIORITIES,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)HELLO_THREAD_STACK,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "hello_https: MHD_start_daemon failed\n");
		return 1;
	}
	printf("ready: %u\n", port);
	fflush(stdout);
	if (sigwait(&set, &sig) != 0)
		return 1;
	MHD_stop_daemon(d);
	free(cert);
	free(key);
	return 0;
}
