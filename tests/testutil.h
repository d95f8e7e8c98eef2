/* testutil.h: small helpers shared by the test programs (linked through mosa_testlib). */
#ifndef MOSA_TESTUTIL_H
#define MOSA_TESTUTIL_H

/* Entries of a directory other than "." and ".."; -1 if it cannot be opened. Tests use it to
 * check that a failed write left no temporary file behind. */
int test_dir_entries(const char *dir);

/* "dir/name" in one of 8 rotating static buffers (so a few can be used in one call). */
const char *test_path(const char *dir, const char *name);

#endif
