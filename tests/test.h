/* test.h: a tiny redis-style test harness. Each test program includes this, calls TEST_COND /
 * TEST_CLOSE for every check and ends main with `return test_report();`. Output: one line per
 * failing check, then "N passed, N failed". */
#ifndef MOSA_TEST_H
#define MOSA_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int test__passed = 0, test__failed = 0;

#define TEST_COND(descr, cond)                                                          \
    do {                                                                                \
        if (cond) {                                                                     \
            test__passed++;                                                             \
        } else {                                                                        \
            test__failed++;                                                             \
            printf("FAIL %s:%d: %s  [%s]\n", __FILE__, __LINE__, (descr), #cond);       \
        }                                                                               \
    } while (0)

/* max |a-b| / max(|b|, floor) over n floats must be <= tol. Prints the worst element. */
#define TEST_CLOSE(descr, a, b, n, tol, floor_)                                         \
    do {                                                                                \
        double w__ = 0; long wi__ = 0;                                                  \
        for (long i__ = 0; i__ < (long)(n); i__++) {                                    \
            double d__ = fabs((double)(a)[i__] - (double)(b)[i__]);                     \
            double m__ = fabs((double)(b)[i__]);                                        \
            double r__ = d__ / (m__ > (floor_) ? m__ : (floor_));                       \
            if (!(r__ <= w__)) { w__ = r__; wi__ = i__; }                               \
        }                                                                               \
        if (w__ <= (tol)) test__passed++;                                               \
        else {                                                                          \
            test__failed++;                                                             \
            printf("FAIL %s:%d: %s: max rel err %.3g at %ld (%.8g vs %.8g), tol %.3g\n", \
                   __FILE__, __LINE__, (descr), w__, wi__, (double)(a)[wi__],           \
                   (double)(b)[wi__], (double)(tol));                                   \
        }                                                                               \
    } while (0)

static inline int test_report(void) {
    printf("%d passed, %d failed\n", test__passed, test__failed);
    return test__failed ? 1 : 0;
}

#endif
