/* Wrapped DB key file; see keyfile.h. */
#include "core/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "hsm_proto.h"
#include "io.h"

#define KEYFILE_MAX (8 + 4 + 2 + HSM_BLOB_MAX)

int
keyfile_sync_dir(const char *path)
{
	char copy[1024];
	int fd, r;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

int
keyfile_write(const char *path, uint32_t kek_version, const uint8_t *blob, size_t blob_len,
    struct bos_err *err)
{
	struct buf b;
	int fd = -1, r = -1;

	if (buf_init(&b, KEYFILE_MAX) != 0)
		return bos_err_set(err, BOS_E_NOMEM, "out of memory");
	if (buf_put(&b, KEYFILE_MAGIC, 8) != 0 || buf_put_u32(&b, kek_version) != 0 ||
	    buf_put_str16(&b, blob, blob_len) != 0) {
		bos_err_set(err, BOS_E_INVALID, "wrapped key of %zu bytes is too large", blob_len);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		bos_err_set(err, errno == EEXIST ? BOS_E_EXISTS : BOS_E_IO,
		    "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	if (io_write_full(fd, b.data, b.len) != 0 || fsync(fd) != 0 ||
	    keyfile_sync_dir(path) != 0) {
		bos_err_set(err, BOS_E_IO, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	/* success */
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0 && fd >= 0)
		unlink(path);
	buf_free(&b);
	return r;
}

int
keyfile_parse(const uint8_t *data, size_t len, uint32_t *kek_version, uint8_t *blob,
    size_t blob_cap, size_t *blob_len)
{
	struct buf b = { (uint8_t *)(uintptr_t)data, len, 0, len, len };
	const uint8_t *p;
	uint8_t magic[8];
	size_t n;

	if (buf_get(&b, magic, sizeof(magic)) != 0 || memcmp(magic, KEYFILE_MAGIC, 8) != 0) /* not secret */
		return -1;
	if (buf_get_u32(&b, kek_version) != 0 || *kek_version == 0)
		return -1;
	if (buf_get_str16(&b, &p, &n, blob_cap) != 0 || n < HSM_IV_LEN + HSM_TAG_LEN + 1)
		return -1;
	if (buf_remaining(&b) != 0)
		return -1;
	memcpy(blob, p, n);
	*blob_len = n;
	return 0;
}

int
keyfile_read(const char *path, uint32_t *kek_version, uint8_t *blob, size_t blob_cap,
    size_t *blob_len, struct bos_err *err)
{
	uint8_t data[KEYFILE_MAX + 1];
	ssize_t n;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return bos_err_set(err, BOS_E_NOTFOUND,
			    "wrapped database key %s is missing; restore it from a backup "
			    "(without it the database cannot be opened)", path);
		return bos_err_set(err, BOS_E_IO, "cannot read %s: %s", path, strerror(errno));
	}
	n = read(fd, data, sizeof(data));
	if (n < 0) {
		bos_err_set(err, BOS_E_IO, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (keyfile_parse(data, (size_t)n, kek_version, blob, blob_cap, blob_len) != 0) {
		bos_err_set(err, BOS_E_CORRUPT,
		    "wrapped database key %s is corrupt (not a BOS key file of the expected size "
		    "and format); restore it from a backup", path);
		goto out;
	}
	/* success */
	r = 0;
out:
	close(fd);
	return r;
}
