/* fuzz_humanml3d.c: libFuzzer target for the HumanML3D text readers (src/io/humanml3d.c): the
 * caption files texts/ID.txt and the split lists.
 *
 * Feeds each input to both parsers. An accepted caption file must have at most HML_MAX_CAPTIONS
 * captions with non-empty captions, tokens without '#' or line breaks and non-negative finite
 * times; each caption is also run through the POS tagger. An accepted split list must hold
 * valid, distinct IDs. A broken promise aborts. Build and run: docs/reliability.md. */
#include "io/humanml3d.h"

#include <math.h>
#include <string.h>

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hml_text *t;
    int n;
    if (hml_texts_parse("fuzz", data, size, &t, &n) == MOSA_OK) {
        CHECK(n >= 0 && n <= HML_MAX_CAPTIONS);
        for (int i = 0; i < n; i++) {
            CHECK(t[i].caption[0] && !strpbrk(t[i].caption, "#\n") && !strpbrk(t[i].tokens, "#\n"));
            CHECK(isfinite(t[i].start) && t[i].start >= 0 && isfinite(t[i].end) && t[i].end >= 0);
            char tags[4 * HML_MAX_LINE];
            mosa_status s = hml_pos_tag(t[i].caption, tags, sizeof tags);
            CHECK(s == MOSA_OK);
        }
        hml_texts_free(t, n);
    } else {
        CHECK(mosa_last_error()[0] != 0 && t == NULL && n == 0);
    }
    char **ids;
    if (hml_split_parse("fuzz", data, size, &ids, &n) == MOSA_OK) {
        for (int i = 0; i < n; i++) {
            CHECK(hml_id_valid(ids[i]));
            for (int j = 0; j < i && n < 200; j++) CHECK(strcmp(ids[i], ids[j]) != 0);
        }
        hml_ids_free(ids, n);
    } else {
        CHECK(mosa_last_error()[0] != 0 && ids == NULL);
    }
    return 0;
}
