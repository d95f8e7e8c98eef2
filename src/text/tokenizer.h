/* tokenizer.h: words -> token ids for the text encoders, with WordNet for words the vocabulary
 * lacks.
 *
 * Text is lower-cased and split into words (letters, digits and inner apostrophes; every other
 * character separates; "left-hand" -> "left", "hand"). A word in the vocabulary is its own token.
 * A word outside it is mapped, in this order, to a vocabulary word with the same WordNet lemma
 * ("sprinted" -> "sprints" when both lemmatize to "sprint"), to one of its WordNet synonyms,
 * for an adjective, an adverb or a vague verb (a root of the verb hierarchy or directly under
 * one) to the known words of its definition (up to 2 tokens: "hurries", "move very fast" ->
 * "moves fast"), for a noun to a direct hyponym ("staircase" -> "stairs"), then to a hypernym
 * (up to 3 levels: "sprints" -> "run"; nouns within 3 steps of the top of WordNet, such as
 * "object", are not used), each converted back through the vocabulary's lemma index;
 * otherwise it becomes TEXT_UNK. A verb form read as another verb keeps its inflection where the
 * vocabulary has it ("leaps" -> "jumps", not "jump"; past forms -> third person). Every mapping is reported through the log
 * callback so a user sees what was understood ("'hurries' read as 'moves fast' (WordNet
 * definition)"); docs/text.md has the rules.
 *
 * Ids: TEXT_PAD 0, TEXT_UNK 1, TEXT_BOS 2 (the encoder's pooled "class" position), TEXT_EOS 3,
 * then the words. A tokenized text is BOS w1 .. wn EOS, cut to max_len (EOS kept) and padded
 * with PAD. The vocabulary is stored with a model as one metadata string (text_vocab_serialize).
 * Not here: motion-prompt extraction (prompt.h) and the encoder (encoder.h). */
#ifndef MOSA_TEXT_TOKENIZER_H
#define MOSA_TEXT_TOKENIZER_H

#include "../base/base.h"

#define TEXT_PAD 0
#define TEXT_UNK 1
#define TEXT_BOS 2
#define TEXT_EOS 3
#define TEXT_SPECIALS 4
#define TEXT_WORD_MAX 48 /* bytes of a word, NUL included; longer words are UNK */

typedef struct text_vocab text_vocab; /* opaque */

/* Builds a vocabulary from the words of n texts (words seen at least min_count times, sorted
 * by count then alphabetically, at most max_words of them; <= 0 = no limit). */
mosa_status text_vocab_build(text_vocab **out, const char *const *texts, int n, int min_count, int max_words);
/* "word word word ..." (ids TEXT_SPECIALS.. in order) <-> vocabulary. Parsing checks every word. */
mosa_status text_vocab_serialize(const text_vocab *v, char **out /* mosa_free */);
mosa_status text_vocab_parse(text_vocab **out, const char *s);
void text_vocab_free(text_vocab *v);
int text_vocab_size(const text_vocab *v);                 /* including the specials */
const char *text_vocab_word(const text_vocab *v, int id); /* "<pad>", "<unk>", "<bos>", "<eos>" for specials */
int text_vocab_find(const text_vocab *v, const char *word); /* id or -1 (no WordNet) */
/* Direct-only words: read when a text has them, never what an unknown word is read as (words a
 * model learned from WordNet relatives, text_verb_relatives: a rare relative such as "rears" for
 * "lifts" must not become the reading of "buttocks"). Marked before the vocabulary reads any
 * text; serialized with a '+' before the word. */
mosa_status text_vocab_set_direct(text_vocab *v, int id);
int text_vocab_is_direct(const text_vocab *v, int id);

typedef enum text_map_kind {
    TEXT_MAP_LEMMA,
    TEXT_MAP_SYNONYM,
    TEXT_MAP_HYPERNYM,
    TEXT_MAP_UNKNOWN,
    TEXT_MAP_HYPONYM, /* a more specific word ("staircase" -> "stairs") */
    TEXT_MAP_GLOSS,   /* the words of its WordNet definition ("hurries" -> "moves fast") */
    TEXT_MAP_HOLONYM, /* the body part it is part of ("palms" -> "hands", "ankle" -> "leg") */
    TEXT_MAP_SPLIT,   /* two vocabulary words written as one ("upstairs" -> "up stairs") */
} text_map_kind;
/* "same lemma", "WordNet synonym", "WordNet hypernym", "unknown", "WordNet hyponym",
 * "WordNet definition", "WordNet holonym (part of)", "two known words" */
const char *text_map_kind_name(text_map_kind how);
/* Called once per out-of-vocabulary word: `to` is the vocabulary word it became, or the words
 * (space-separated) of a definition reading; NULL for UNK. */
typedef void (*text_map_log)(void *user, const char *from, const char *to, text_map_kind how);

/* Tokenizes `text` into ids[max_len] (BOS .. EOS, PAD-filled). Returns the number of non-PAD
 * ids (>= 2), or -1 with the error set (NULL text, max_len < 2, invalid UTF-8). log may be NULL.
 * Thread-safe for concurrent calls (WordNet access is serialised inside). */
int text_tokenize(const text_vocab *v, const char *text, int32_t *ids, int max_len, text_map_log log, void *user);

/* What the model will read when a user writes a WordNet neighbour of `word` instead of it: the
 * distinct ids that text_tokenize gives the word's out-of-vocabulary synonyms (its two most
 * frequent senses, as WordNet orders them, in every part of speech) and, for a verb, the direct
 * hyponyms of its first sense ("throw" -> "hurl", "toss"), single words only; never word's own
 * id; TEXT_UNK when a neighbour maps to nothing. Used to train a model on the readings it will meet at inference.
 * Returns how many ids were written (at most max), or -1 with the error set. */
int text_vocab_paraphrase_ids(const text_vocab *v, const char *word, int32_t *ids, int max);

/* The WordNet relatives of a verb form, in the same form: the synonyms and direct troponyms
 * (hyponyms) of its first bodily sense (lexicographer classes verb.motion, verb.body,
 * verb.contact, verb.competition; the first sense when it has none), each inflected like `form`
 * ("walks" -> "ambles", "strolls", "tiptoes", ...; "walking" -> "ambling", ...; a bare lemma
 * gives bare lemmas), single words only, never the form's own lemma. A form is accepted only when
 * WordNet's morphology reads it back as its lemma. Used to teach a model these words from
 * captions (vocabulary expansion), not at inference. Returns how many were written (at most
 * max; 0 for a word that is not a verb form), or -1 with the error set. */
int text_verb_relatives(const char *form, char (*out)[TEXT_WORD_MAX], int max);

/* WordNet concepts: what a word means as WordNet's synsets, so that a model can share what it
 * learns between related words ("bends" and "leans": lean is a kind of bend). A concept key is
 * the part of speech and the synset's offset ("v01850315"). */
#define TEXT_CONCEPT_KEY 12
/* The concepts of a vocabulary word (lower case): for each of its verb and noun lemmas, the
 * synsets of its first two senses and their hypernyms up to two steps up (a root of WordNet's
 * hierarchy, "move", "act", "entity", is too general and left out); for adjectives and
 * adverbs the synsets of the first two senses. Distinct keys in that order, up to max. Returns
 * how many were written (0 for a word WordNet lacks), or -1 with the error set. */
int text_word_concepts(const char *word, char (*out)[TEXT_CONCEPT_KEY], int max);
/* The concept table of a vocabulary: the concepts that at least two of its words share, sorted
 * by key and numbered from 1, and for every vocabulary id the numbers of up to k of its concepts
 * (in text_word_concepts' order; 0 = none; specials have none) in *table (size x k,
 * mosa_malloc'd). A pure function of the vocabulary, k and WordNet's data. Returns MOSA_OK with
 * *n_concepts set. */
mosa_status text_vocab_concept_table(const text_vocab *v, int k, int32_t **table, int *n_concepts);

/* The lock serialising every use of WordNet's C library (global state) inside the tokenizer.
 * Other WordNet users (prompt.c) that may run concurrently with text_tokenize take it too. */
void text_wordnet_lock(void);
void text_wordnet_unlock(void);

#endif /* MOSA_TEXT_TOKENIZER_H */
