/*
 * Scenario values: numbers with units, booleans, keywords, latency specs and
 * their trace files, file reading. Nothing here knows about sections or keys.
 */
#include "scenario_internal.h"
#include "chunksim/error.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void chunksim__scenario_format(char *buf, size_t len, const char *fmt, ...)
{
    if (buf == NULL || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

struct unit_suffix {
    const char *suffix;
    uint64_t multiplier;
};

/* K and M are binary: scenario sizes are flash and RAM sizes. */
static const struct unit_suffix bytes_suffixes[] = {{"", 1},        {"K", 1024},      {"KiB", 1024},
                                                    {"M", 1048576}, {"MiB", 1048576}, {NULL, 0}};
static const struct unit_suffix us_suffixes[] = {
    {"", 1}, {"us", 1}, {"ms", 1000}, {"s", 1000000}, {NULL, 0}};
static const struct unit_suffix hz_suffixes[] = {
    {"", 1}, {"Hz", 1}, {"kHz", 1000}, {"MHz", 1000000}, {NULL, 0}};
static const struct unit_suffix no_suffixes[] = {{"", 1}, {NULL, 0}};

static const struct unit_suffix *unit_table(enum scenario_unit unit)
{
    switch (unit) {
    case SCENARIO_UNIT_BYTES:
        return bytes_suffixes;
    case SCENARIO_UNIT_US:
        return us_suffixes;
    case SCENARIO_UNIT_HZ:
        return hz_suffixes;
    default:
        return no_suffixes;
    }
}

const char *chunksim__scenario_unit_suffixes(enum scenario_unit unit)
{
    switch (unit) {
    case SCENARIO_UNIT_BYTES:
        return "K, KiB (1024), M, MiB (1048576)";
    case SCENARIO_UNIT_US:
        return "us, ms, s";
    case SCENARIO_UNIT_HZ:
        return "Hz, kHz, MHz";
    default:
        return "";
    }
}

static int parse_hex_u64(const char *p, uint64_t *out)
{
    uint64_t v = 0;
    if (!isxdigit((unsigned char)*p))
        return SCENARIO_NUM_SYNTAX;
    for (; isxdigit((unsigned char)*p); p++) {
        unsigned d = isdigit((unsigned char)*p) ? (unsigned)(*p - '0')
                                                : (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
        if (v > (UINT64_MAX >> 4))
            return SCENARIO_NUM_OVERFLOW;
        v = (v << 4) | d;
    }
    if (*p != '\0')
        return SCENARIO_NUM_SYNTAX;
    *out = v;
    return SCENARIO_NUM_OK;
}

/*
 * Decimal with an optional fraction and suffix. The fraction is kept as an
 * exact integer ratio so that "7.5ms" is 7500 without floating-point
 * rounding; a value that is not a whole number of base units is refused.
 */
int chunksim__scenario_parse_scaled(const char *s, enum scenario_unit unit, uint64_t *out)
{
    const char *p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return parse_hex_u64(p + 2, out);
    if (!isdigit((unsigned char)*p))
        return SCENARIO_NUM_SYNTAX;

    uint64_t whole = 0;
    for (; isdigit((unsigned char)*p); p++) {
        if (__builtin_mul_overflow(whole, 10u, &whole) ||
            __builtin_add_overflow(whole, (uint64_t)(*p - '0'), &whole))
            return SCENARIO_NUM_OVERFLOW;
    }
    uint64_t frac = 0, frac_scale = 1;
    bool frac_lost = false; /* a nonzero digit beyond what we keep */
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return SCENARIO_NUM_SYNTAX;
        for (; isdigit((unsigned char)*p); p++) {
            if (frac_scale < 1000000000000000000ull) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_scale *= 10;
            } else if (*p != '0') {
                frac_lost = true;
            }
        }
    }
    while (*p == ' ')
        p++;

    const struct unit_suffix *u = unit_table(unit);
    for (; u->suffix != NULL; u++) {
        if (strcmp(p, u->suffix) == 0)
            break;
    }
    if (u->suffix == NULL)
        return SCENARIO_NUM_SYNTAX;

    uint64_t v;
    if (__builtin_mul_overflow(whole, u->multiplier, &v))
        return SCENARIO_NUM_OVERFLOW;
    unsigned __int128 f = (unsigned __int128)frac * u->multiplier;
    if (frac_lost || f % frac_scale != 0)
        return SCENARIO_NUM_FRACTION;
    if (__builtin_add_overflow(v, (uint64_t)(f / frac_scale), &v))
        return SCENARIO_NUM_OVERFLOW;
    *out = v;
    return SCENARIO_NUM_OK;
}

int chunksim__scenario_parse_double(const char *s, double *out)
{
    if (*s == '\0' || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* Bytes in a sequence led by b, and the range its second byte must be in. */
static int utf8_lead(unsigned char b, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF)
        return 2;
    if (b >= 0xE0 && b <= 0xEF) {
        *lo = b == 0xE0 ? 0xA0 : 0x80; /* no overlong forms */
        *hi = b == 0xED ? 0x9F : 0xBF; /* no surrogates */
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        *lo = b == 0xF0 ? 0x90 : 0x80;
        *hi = b == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
        return 4;
    }
    return 0;
}

long chunksim__scenario_text_check(const char *s, bool *control)
{
    const unsigned char *p = (const unsigned char *)s;
    *control = false;
    for (size_t i = 0; p[i] != '\0';) {
        if (p[i] < 0x80) {
            *control = *control || p[i] < ' ' || p[i] == 0x7F;
            i++;
            continue;
        }
        unsigned char lo, hi;
        int n = utf8_lead(p[i], &lo, &hi);
        bool ok = n > 0 && p[i + 1] >= lo && p[i + 1] <= hi;
        for (int k = 2; ok && k < n; k++)
            ok = p[i + k] >= 0x80 && p[i + k] <= 0xBF;
        if (!ok)
            return (long)i;
        *control = *control || (p[i] == 0xC2 && p[i + 1] <= 0x9F); /* C1: U+0080..U+009F */
        i += (size_t)n;
    }
    return -1;
}

static const char *const true_words[] = {"true", "yes", "1", NULL};
static const char *const false_words[] = {"false", "no", "0", NULL};

int chunksim__scenario_parse_bool(const char *s, bool *out)
{
    if (chunksim__scenario_parse_word(s, true_words) >= 0) {
        *out = true;
        return 0;
    }
    if (chunksim__scenario_parse_word(s, false_words) >= 0) {
        *out = false;
        return 0;
    }
    return -1;
}

int chunksim__scenario_parse_word(const char *s, const char *const *words)
{
    for (int i = 0; words[i] != NULL; i++) {
        if (strcasecmp(s, words[i]) == 0)
            return i;
    }
    return -1;
}

void chunksim__scenario_words_join(const char *const *words, char *buf, size_t len)
{
    size_t n = 0, used = 0;
    while (words[n] != NULL)
        n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++) {
        const char *sep = i == 0 ? "" : (i + 1 == n ? " or " : ", ");
        int w = snprintf(buf + used, len - used, "%s%s", sep, words[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* The file readers' end: on success the NUL-terminated buffer goes to the caller, else it is freed.
 */
static int file_buffer_hand_over(int rc, char *buf, size_t len, char **data, size_t *bytes)
{
    if (rc < 0) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *data = buf;
    *bytes = len;
    return 0;
}

int chunksim__scenario_file_read(const char *path, char **data, size_t *bytes)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = buf == NULL ? -ENOMEM : 0;
    while (rc == 0) {
        if (cap - len < 2) {
            char *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (bigger == NULL) {
                rc = -ENOMEM;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        errno = 0;
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) {
            /* errno says why (EISDIR for a directory); EIO if the C library did not. */
            if (ferror(f))
                rc = errno != 0 ? -errno : -EIO;
            break;
        }
    }
    fclose(f);
    return file_buffer_hand_over(rc, buf, len, data, bytes);
}

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a plain file";
}

/* Up to want bytes, fewer only at the end of the file. */
static int read_fully(int fd, char *buf, size_t want, size_t *got)
{
    *got = 0;
    while (*got < want) {
        ssize_t n = read(fd, buf + *got, want - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

int chunksim__scenario_regular_file_read(const char *path, uint64_t max_bytes, const char *max_what,
                                         char **data, size_t *bytes, char *why, size_t whylen)
{
    /* Non-blocking: opening a FIFO must not wait for a writer before fstat refuses it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        chunksim__scenario_format(why, whylen, "cannot read %s: %s", path, chunksim_strerror(rc));
        return rc;
    }
    struct stat st;
    int rc = fstat(fd, &st) < 0 ? -errno : 0;
    if (rc == 0 && !S_ISREG(st.st_mode)) {
        chunksim__scenario_format(why, whylen, "%s is %s, not a regular file", path,
                                  file_kind(st.st_mode));
        rc = -EINVAL;
    } else if (rc == 0 && (uint64_t)st.st_size > max_bytes) {
        chunksim__scenario_format(why, whylen, "%s: %" PRIu64 " bytes, more than %s (%" PRIu64 ")",
                                  path, (uint64_t)st.st_size, max_what, max_bytes);
        rc = -EINVAL;
    }
    /* The size at open: a file that grows while it is read is taken as it was. */
    size_t len = rc == 0 ? (size_t)st.st_size : 0, got = 0;
    char *buf = rc == 0 ? malloc(len + 1) : NULL;
    if (rc == 0 && buf == NULL)
        rc = -ENOMEM;
    if (rc == 0 && (rc = read_fully(fd, buf, len, &got)) < 0)
        chunksim__scenario_format(why, whylen, "cannot read %s: %s", path, chunksim_strerror(rc));
    close(fd);
    return file_buffer_hand_over(rc, buf, got, data, bytes);
}

char *chunksim__scenario_path_join(const char *base_dir, const char *rel)
{
    if (base_dir == NULL || base_dir[0] == '\0' || rel[0] == '/')
        return strdup(rel);
    size_t n = strlen(base_dir) + 1 + strlen(rel) + 1;
    char *p = malloc(n);
    if (p != NULL)
        snprintf(p, n, "%s/%s", base_dir, rel);
    return p;
}

/* ---- latency specs ---------------------------------------------------- */

static const char latency_forms[] =
    "model, fixed:US, uniform:MIN_US,MAX_US, normal:MEAN_US,SD_US, lognormal:MEDIAN_US,SIGMA, "
    "spikes:BASE_US,P,SPIKE_US or trace:FILE.csv";

/* Exactly n comma-separated numbers (spaces around them allowed). */
static int parse_number_list(char *p, double *v, int n)
{
    for (int i = 0; i < n; i++) {
        char *comma = strchr(p, ',');
        if ((comma == NULL) != (i == n - 1))
            return -1;
        if (comma != NULL)
            *comma = '\0';
        while (*p == ' ')
            p++;
        size_t l = strlen(p);
        while (l > 0 && p[l - 1] == ' ')
            p[--l] = '\0';
        if (chunksim__scenario_parse_double(p, &v[i]) < 0)
            return -1;
        p = comma != NULL ? comma + 1 : p + l;
    }
    return 0;
}

struct latency_form {
    const char *name;
    chunksim_latency_kind_t kind;
    int args;
    const char *usage; /* what the arguments must be */
};

static const struct latency_form latency_table[] = {
    {"fixed", CHUNKSIM_LATENCY_FIXED, 1, "fixed:US with US >= 0"},
    {"uniform", CHUNKSIM_LATENCY_UNIFORM, 2, "uniform:MIN_US,MAX_US with 0 <= MIN_US <= MAX_US"},
    {"normal", CHUNKSIM_LATENCY_NORMAL, 2, "normal:MEAN_US,SD_US with MEAN_US >= 0, SD_US >= 0"},
    {"lognormal", CHUNKSIM_LATENCY_LOGNORMAL, 2,
     "lognormal:MEDIAN_US,SIGMA with MEDIAN_US > 0, SIGMA >= 0"},
    {"spikes", CHUNKSIM_LATENCY_SPIKES, 3,
     "spikes:BASE_US,P,SPIKE_US with BASE_US >= 0, 0 <= P <= 1, SPIKE_US >= 0"},
    {NULL, CHUNKSIM_LATENCY_MODEL, 0, NULL},
};

static bool latency_args_valid(chunksim_latency_kind_t kind, const double *v)
{
    switch (kind) {
    case CHUNKSIM_LATENCY_FIXED:
        return v[0] >= 0;
    case CHUNKSIM_LATENCY_UNIFORM:
        return v[0] >= 0 && v[0] <= v[1];
    case CHUNKSIM_LATENCY_NORMAL:
        return v[0] >= 0 && v[1] >= 0;
    case CHUNKSIM_LATENCY_LOGNORMAL:
        return v[0] > 0 && v[1] >= 0;
    case CHUNKSIM_LATENCY_SPIKES:
        return v[0] >= 0 && v[1] >= 0 && v[1] <= 1 && v[2] >= 0;
    default:
        return false;
    }
}

/* Where each form's arguments go, in order: the fields of its member of the union. */
#define LATENCY_AT(field) offsetof(chunksim_latency_t, field)
static const size_t latency_fields[][3] = {
    [CHUNKSIM_LATENCY_FIXED] = {LATENCY_AT(fixed.us)},
    [CHUNKSIM_LATENCY_UNIFORM] = {LATENCY_AT(uniform.min_us), LATENCY_AT(uniform.max_us)},
    [CHUNKSIM_LATENCY_NORMAL] = {LATENCY_AT(normal.mean_us), LATENCY_AT(normal.sd_us)},
    [CHUNKSIM_LATENCY_LOGNORMAL] = {LATENCY_AT(lognormal.median_us), LATENCY_AT(lognormal.sigma)},
    [CHUNKSIM_LATENCY_SPIKES] = {LATENCY_AT(spikes.base_us), LATENCY_AT(spikes.probability),
                                 LATENCY_AT(spikes.spike_us)},
};

static void latency_store(chunksim_latency_t *out, const struct latency_form *f, const double *v)
{
    memset(out, 0, sizeof *out);
    out->kind = f->kind;
    for (int i = 0; i < f->args; i++)
        memcpy((char *)out + latency_fields[f->kind][i], &v[i], sizeof v[i]);
}

static int parse_latency_trace(const char *file, const char *base_dir, chunksim_latency_t *out,
                               char *why, size_t whylen)
{
    if (file[0] == '\0') {
        chunksim__scenario_format(why, whylen,
                                  "trace: needs a file name, e.g. trace:latencies.csv");
        return -EINVAL;
    }
    char *path = chunksim__scenario_path_join(base_dir, file);
    if (path == NULL)
        return -ENOMEM;
    double *values;
    size_t count;
    int rc = chunksim__scenario_trace_load(path, &values, &count, why, whylen);
    if (rc < 0) {
        free(path);
        return rc;
    }
    memset(out, 0, sizeof *out);
    out->kind = CHUNKSIM_LATENCY_TRACE;
    out->trace.path = path;
    out->trace.latency_us = values;
    out->trace.count = count;
    return 0;
}

int chunksim__scenario_parse_latency(const char *s, const char *base_dir, chunksim_latency_t *out,
                                     char *why, size_t whylen)
{
    if (strcasecmp(s, "model") == 0) {
        memset(out, 0, sizeof *out);
        out->kind = CHUNKSIM_LATENCY_MODEL;
        return 0;
    }
    const char *colon = strchr(s, ':');
    size_t name_len = colon != NULL ? (size_t)(colon - s) : strlen(s);
    if (colon != NULL && name_len == 5 && strncasecmp(s, "trace", 5) == 0)
        return parse_latency_trace(colon + 1, base_dir, out, why, whylen);

    for (const struct latency_form *f = latency_table; f->name != NULL; f++) {
        if (strlen(f->name) != name_len || strncasecmp(s, f->name, name_len) != 0)
            continue;
        double v[3];
        char *args = colon != NULL ? strdup(colon + 1) : NULL; /* cut at the commas */
        if (colon != NULL && args == NULL)
            return -ENOMEM;
        int rc = args != NULL ? parse_number_list(args, v, f->args) : -1;
        free(args);
        if (rc < 0 || !latency_args_valid(f->kind, v)) {
            chunksim__scenario_format(why, whylen, "must be %s", f->usage);
            return -EINVAL;
        }
        latency_store(out, f, v);
        return 0;
    }
    chunksim__scenario_format(why, whylen, "must be one of %s", latency_forms);
    return -EINVAL;
}

void chunksim__scenario_latency_free(chunksim_latency_t *lat)
{
    if (lat->kind == CHUNKSIM_LATENCY_TRACE) {
        free(lat->trace.path);
        free(lat->trace.latency_us);
    }
    memset(lat, 0, sizeof *lat);
    lat->kind = CHUNKSIM_LATENCY_MODEL;
}

int chunksim__scenario_latency_copy(chunksim_latency_t *dst, const chunksim_latency_t *src)
{
    *dst = *src;
    if (src->kind != CHUNKSIM_LATENCY_TRACE)
        return 0;
    dst->trace.path = strdup(src->trace.path);
    dst->trace.latency_us = malloc(src->trace.count * sizeof(double));
    if (dst->trace.path == NULL || dst->trace.latency_us == NULL) {
        free(dst->trace.path);
        free(dst->trace.latency_us);
        memset(dst, 0, sizeof *dst);
        return -ENOMEM;
    }
    memcpy(dst->trace.latency_us, src->trace.latency_us, src->trace.count * sizeof(double));
    return 0;
}

/* ---- trace CSV -------------------------------------------------------- */

/* Board logs carry a few columns; more than this is not a latency trace. */
#define TRACE_CSV_FIELDS_MAX 64

struct trace_csv {
    const char *path;
    double *values;
    size_t count, cap;
    int column;  /* latency_us column; -1 before the first row */
    int columns; /* fields per row (1 without header) */
    char *why;
    size_t whylen;
};

static char *csv_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t l = strlen(s);
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
        s[--l] = '\0';
    if (l >= 2 && s[0] == '"' && s[l - 1] == '"') {
        s[l - 1] = '\0';
        s++;
    }
    return s;
}

/* Splits line at commas in place; returns the field count (at most max). */
static int csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *comma = strchr(p, ',');
        if (comma != NULL)
            *comma = '\0';
        fields[n++] = csv_trim(p);
        if (comma == NULL)
            return n;
        p = comma + 1;
    }
    return max + 1; /* too many */
}

static int csv_header(struct trace_csv *t, char **fields, int n, uint32_t lineno)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(fields[i], "latency_us") == 0) {
            t->column = i;
            t->columns = n;
            return 0;
        }
    }
    chunksim__scenario_format(
        t->why, t->whylen,
        "%s:%u: expected a latency in microseconds or a header with a latency_us "
        "column, got \"%s\"",
        t->path, lineno, fields[0]);
    return -EINVAL;
}

static int csv_row(struct trace_csv *t, char *line, uint32_t lineno)
{
    char *fields[TRACE_CSV_FIELDS_MAX];
    int n = csv_split(line, fields, TRACE_CSV_FIELDS_MAX);
    double v;
    if (n > TRACE_CSV_FIELDS_MAX) {
        chunksim__scenario_format(t->why, t->whylen, "%s:%u: more than %d fields", t->path, lineno,
                                  TRACE_CSV_FIELDS_MAX);
        return -EINVAL;
    }
    if (t->column < 0) {
        if (n == 1 && chunksim__scenario_parse_double(fields[0], &v) == 0) {
            t->column = 0;
            t->columns = 1;
        } else {
            return csv_header(t, fields, n, lineno);
        }
    }
    if (n != t->columns) {
        chunksim__scenario_format(t->why, t->whylen, "%s:%u: expected %d field%s, found %d",
                                  t->path, lineno, t->columns, t->columns == 1 ? "" : "s", n);
        return -EINVAL;
    }
    const char *field = fields[t->column];
    if (chunksim__scenario_parse_double(field, &v) < 0 || v < 0) {
        chunksim__scenario_format(t->why, t->whylen,
                                  "%s:%u: \"%s\" is not a latency in microseconds (a number >= 0)",
                                  t->path, lineno, field);
        return -EINVAL;
    }
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        double *bigger = realloc(t->values, cap * sizeof(double));
        if (bigger == NULL)
            return -ENOMEM;
        t->values = bigger;
        t->cap = cap;
    }
    t->values[t->count++] = v;
    return 0;
}

int chunksim__scenario_trace_load(const char *path, double **latency_us, size_t *count, char *why,
                                  size_t whylen)
{
    char *text;
    size_t bytes;
    int rc = chunksim__scenario_regular_file_read(path, SIZE_MAX, "any file holds", &text, &bytes,
                                                  why, whylen);
    if (rc < 0) {
        if (rc != -EINVAL && rc != -ENOMEM)
            chunksim__scenario_format(why, whylen, "cannot read trace %s: %s", path,
                                      chunksim_strerror(rc));
        return rc;
    }
    struct trace_csv t = {.path = path, .column = -1, .why = why, .whylen = whylen};
    uint32_t lineno = 0;
    for (char *line = text; rc == 0 && line != NULL && line < text + bytes;) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        lineno++;
        char *content = csv_trim(line);
        if (content[0] != '\0' && content[0] != '#')
            rc = csv_row(&t, content, lineno);
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(text);
    if (rc == 0 && t.count == 0) {
        chunksim__scenario_format(why, whylen, "%s: no latencies in the trace", path);
        rc = -EINVAL;
    }
    if (rc < 0) {
        if (rc == -ENOMEM)
            chunksim__scenario_format(why, whylen, "%s: out of memory", path);
        free(t.values);
        return rc;
    }
    *latency_us = t.values;
    *count = t.count;
    return 0;
}
