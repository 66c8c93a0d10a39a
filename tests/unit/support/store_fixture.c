/* Store test fixture; see store_fixture.h. */
#include "store_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "err.h"
#include "store/store.h"

int
store_fixture_open(const char *tag, uint8_t key_base, char *dir, size_t dir_cap, char *path,
    size_t path_cap, struct store **out)
{
	struct bos_err err = { 0 };
	uint8_t key[STORE_KEY_LEN];
	size_t i;

	snprintf(dir, dir_cap, "/tmp/bos-test-%s-XXXXXX", tag);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(path, path_cap, "%s/bos.db", dir);
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(key_base + i);
	if (store_open(path, key, 1, out, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err.msg);
		return -1;
	}
	return 0;
}

void
store_fixture_remove(struct store *s, const char *dir)
{
	struct dirent *de;
	char p[600];
	DIR *d;

	if (s != NULL)
		store_close(s);
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}
