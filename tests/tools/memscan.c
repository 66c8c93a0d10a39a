/*
 * memscan [-s MIB] PID CANARY_FILE: search the memory of a running process
 * for secret strings (tests/integration/t_memory.sh).
 *
 * Reads /proc/PID/maps and scans every readable mapping through
 * /proc/PID/mem with pread(), skipping [vvar], [vsyscall] and ranges the
 * kernel refuses to read. CANARY_FILE holds one canary a line. Every hit is
 * reported with its mapping (address range, path or [heap]/[stack]/anon)
 * and its offset in that mapping; a canary is never printed in full, only
 * its first 6 characters, so the report itself leaks nothing worth having.
 *
 * -s MIB skips (and counts) mappings larger than MIB mebibytes: an
 * AddressSanitizer process has terabytes of readable shadow memory, which
 * holds no data. Without -s every readable mapping is scanned.
 *
 * Exit: 0 no canary found, 1 at least one found, 2 on an error (for example
 * no permission to read the process: run it as root).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEMSCAN_CANARIES_MAX 256
#define MEMSCAN_CANARY_MAX 512
#define MEMSCAN_CHUNK (1u << 20)
#define MEMSCAN_SHOW 6

struct memscan {
	char *canary[MEMSCAN_CANARIES_MAX];
	size_t len[MEMSCAN_CANARIES_MAX];
	unsigned long hits[MEMSCAN_CANARIES_MAX];
	size_t n, longest;
	int mem_fd;
	uint64_t scanned, skipped, huge_max;
	unsigned long total, huge;
};

static int
memscan_load(struct memscan *m, const char *path)
{
	char line[MEMSCAN_CANARY_MAX + 2];
	FILE *f;
	size_t l;

	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "memscan: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		l = strcspn(line, "\r\n");
		line[l] = '\0';
		if (l == 0)
			continue;
		/* Too short and a canary matches by chance: refuse rather than report noise. */
		if (l < 8 || m->n == MEMSCAN_CANARIES_MAX) {
			fprintf(stderr, "memscan: canary %zu is shorter than 8 bytes, or too many\n",
			    m->n + 1);
			fclose(f);
			return -1;
		}
		if ((m->canary[m->n] = strdup(line)) == NULL) {
			fclose(f);
			return -1;
		}
		m->len[m->n] = l;
		if (l > m->longest)
			m->longest = l;
		m->n++;
	}
	fclose(f);
	if (m->n == 0) {
		fprintf(stderr, "memscan: %s holds no canary\n", path);
		return -1;
	}
	return 0;
}

/* Report each canary in buf[0..n); hits that start at or after limit belong to the next chunk. */
static void
memscan_search(struct memscan *m, const uint8_t *buf, size_t n, size_t limit, uint64_t base,
    uint64_t start, uint64_t end, const char *name)
{
	const uint8_t *p, *q;
	size_t i;

	for (i = 0; i < m->n; i++) {
		for (p = buf; (size_t)(p - buf) < limit &&
		    (q = memmem(p, n - (size_t)(p - buf), m->canary[i], m->len[i])) != NULL;
		    p = q + 1) {
			if ((size_t)(q - buf) >= limit)
				break;
			m->hits[i]++;
			m->total++;
			printf("found %.*s... at 0x%" PRIx64 " in %" PRIx64 "-%" PRIx64 " %s +0x%" PRIx64 "\n",
			    MEMSCAN_SHOW, m->canary[i], base + (uint64_t)(q - buf), start, end, name,
			    base + (uint64_t)(q - buf) - start);
		}
	}
}

/* Read up to n bytes at addr; returns how many could be read before the first failure. */
static size_t
memscan_read(struct memscan *m, uint8_t *buf, uint64_t addr, size_t n)
{
	size_t got;
	ssize_t r;

	for (got = 0; got < n; got += (size_t)r) {
		r = pread(m->mem_fd, buf + got, n - got, (off_t)(addr + got));
		if (r <= 0)
			break;
	}
	return got;
}

/* Scan [start, end) in chunks that overlap by the longest canary less one byte. */
static void
memscan_range(struct memscan *m, uint8_t *buf, uint64_t start, uint64_t end, const char *name)
{
	size_t over = m->longest - 1, step, want, got;
	uint64_t a = start;

	while (a < end) {
		step = end - a > MEMSCAN_CHUNK ? MEMSCAN_CHUNK : (size_t)(end - a);
		want = end - a - step > over ? step + over : (size_t)(end - a);
		got = memscan_read(m, buf, a, want);
		if (got < step) {
			/* A page that cannot be read (a guard page, IO memory): search what came, skip it. */
			memscan_search(m, buf, got, got, a, start, end, name);
			m->scanned += got;
			m->skipped += 4096;
			a = (a + got + 4096) & ~(uint64_t)4095;
			continue;
		}
		memscan_search(m, buf, got, step, a, start, end, name);
		m->scanned += step;
		a += step;
	}
}

static int
memscan_maps(struct memscan *m, int pid)
{
	char path[64], line[4096], perms[8], name[4096];
	uint64_t start, end;
	uint8_t *buf;
	FILE *f;
	int k;

	if ((buf = malloc(MEMSCAN_CHUNK + MEMSCAN_CANARY_MAX)) == NULL)
		return -1;
	(void)snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if ((f = fopen(path, "re")) == NULL) {
		fprintf(stderr, "memscan: cannot open %s: %s\n", path, strerror(errno));
		free(buf);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		name[0] = '\0';
		k = sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %4095[^\n]", &start, &end,
		    perms, name);
		if (k < 3 || perms[0] != 'r')
			continue;
		if (strcmp(name, "[vvar]") == 0 || strcmp(name, "[vsyscall]") == 0 ||
		    strcmp(name, "[vvar_vclock]") == 0)
			continue;
		if (m->huge_max != 0 && end - start > m->huge_max) {
			m->huge++;
			continue;
		}
		memscan_range(m, buf, start, end, name[0] != '\0' ? name : "anon");
	}
	fclose(f);
	free(buf);
	return 0;
}

/* A positive decimal number below max, or -1. */
static long
memscan_number(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v >= max)
		return -1;
	return v;
}

int
main(int argc, char **argv)
{
	struct memscan m;
	char path[64];
	long pid, mib;
	int c;
	size_t i;

	memset(&m, 0, sizeof(m));
	while ((c = getopt(argc, argv, "s:")) != -1) {
		if (c != 's' || (mib = memscan_number(optarg, 1L << 30)) < 0) {
			fprintf(stderr, "usage: memscan [-s MIB] PID CANARY_FILE\n");
			return 2;
		}
		m.huge_max = (uint64_t)mib << 20;
	}
	if (argc - optind != 2 || (pid = memscan_number(argv[optind], INT32_MAX)) < 0) {
		fprintf(stderr, "usage: memscan [-s MIB] PID CANARY_FILE\n");
		return 2;
	}
	if (memscan_load(&m, argv[optind + 1]) != 0)
		return 2;
	(void)snprintf(path, sizeof(path), "/proc/%ld/mem", pid);
	if ((m.mem_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "memscan: cannot open %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (memscan_maps(&m, (int)pid) != 0)
		return 2;
	close(m.mem_fd);
	/* Nothing read at all means we could not look, which is not "clean". */
	if (m.scanned == 0) {
		fprintf(stderr, "memscan: read nothing from pid %ld\n", pid);
		return 2;
	}
	for (i = 0; i < m.n; i++)
		if (m.hits[i] > 0)
			printf("canary %.*s...: %lu hit(s)\n", MEMSCAN_SHOW, m.canary[i], m.hits[i]);
	if (m.huge > 0)
		printf("memscan: %lu mapping(s) larger than %" PRIu64 " MiB skipped (-s)\n", m.huge,
		    m.huge_max >> 20);
	printf("memscan: pid %ld, %" PRIu64 " KiB scanned, %" PRIu64 " KiB unreadable, %zu canaries, "
	    "%lu hit(s)\n", pid, m.scanned / 1024, m.skipped / 1024, m.n, m.total);
	for (i = 0; i < m.n; i++)
		free(m.canary[i]);
	return m.total > 0 ? 1 : 0;
}
