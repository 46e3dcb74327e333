#include "chunkcore/packetizer.h"
#include "chunkcore/error.h"

#include <string.h>

/*
 * The transport sees one message: the packetizer's own header bytes followed
 * by the source's payload. The header is not stored: it is the type byte,
 * then the project key with its NUL, read from the config where it lives.
 * A chunk that spans both writes the header part and makes exactly one
 * source read for the payload part.
 */
static int packetizer_msg_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    chunkcore_packetizer_t *p = ctx;
    const char *key = p->cfg->project_key;
    const chunkcore_source_t *src = p->cfg->sources[p->type];
    uint8_t *dst = buf;
    for (; offset < p->hdr_bytes && len != 0; offset++, len--) {
        /* Byte 0: the type with its flags; a key only ever follows with the key flag. */
        *dst++ = offset != 0 ? (uint8_t)key[offset - 1]
                             : (uint8_t)(p->type | (key != NULL ? CHUNKCORE_MSG_HDR_KEY : 0u) |
                                         (src->run_length_encoded ? CHUNKCORE_MSG_HDR_RLE : 0u));
    }
    if (len == 0) {
        return 0;
    }
    return src->read(src->ctx, offset - p->hdr_bytes, dst, len);
}

/*
 * Where the readable part of the message ends, for a source with an avail
 * hint (payload offsets; the header before it is always readable). A source
 * that knows nothing at this offset (0) sets no limit: the read is attempted
 * and refused by the source.
 */
static uint32_t packetizer_readable_end(const chunkcore_packetizer_t *p,
                                        const chunkcore_source_t *src)
{
    uint32_t payload_offset = p->tx.offset > p->hdr_bytes ? p->tx.offset - p->hdr_bytes : 0;
    uint32_t payload_left = p->tx.total_bytes - p->hdr_bytes - payload_offset;
    if (payload_left == 0) {
        return CHUNKCORE_READABLE_ALL;
    }
    uint32_t n = src->avail(src->ctx, payload_offset, payload_left);
    return n == 0 ? CHUNKCORE_READABLE_ALL : p->hdr_bytes + payload_offset + n;
}

/* Characters of a project key, counted no further than one past the limit. */
static size_t packetizer_key_chars(const char *key)
{
    size_t n = 0;
    while (n <= CHUNKCORE_PROJECT_KEY_MAX_CHARS && key[n] != '\0') {
        n++;
    }
    return n;
}

int chunkcore_packetizer_init(chunkcore_packetizer_t *p, const chunkcore_packetizer_config_t *cfg)
{
    memset(p, 0, sizeof(*p));
    if (cfg == NULL) {
        return CHUNKCORE_E_INVAL;
    }
    /* Message header: the type byte, then the NUL-terminated project key if any. */
    p->hdr_bytes = 1;
    if (cfg->project_key != NULL) {
        size_t n = packetizer_key_chars(cfg->project_key);
        if (n == 0 || n > CHUNKCORE_PROJECT_KEY_MAX_CHARS) {
            return CHUNKCORE_E_INVAL;
        }
        p->hdr_bytes = (uint8_t)(2u + n);
    }
    p->cfg = cfg;
    p->active_mask = CHUNKCORE_SOURCES_ALL;
    return CHUNKCORE_OK;
}

static void packetizer_fill_info(const chunkcore_packetizer_t *p, chunkcore_msg_info_t *info)
{
    if (info == NULL) {
        return;
    }
    info->type = p->type;
    info->message_bytes = p->tx.total_bytes;
    info->single_chunk_bytes = p->tx.total_bytes + 3u;
    info->sent_bytes = p->tx.offset;
}

static int packetizer_start(chunkcore_packetizer_t *p, int type, uint32_t payload_bytes,
                            bool multi_call)
{
    if (payload_bytes > UINT32_MAX - p->hdr_bytes - 3u) {
        return CHUNKCORE_E_INVAL;
    }
    p->type = (uint8_t)type;
    p->state = CHUNKCORE_PKT_SENDING;
    chunkcore_transport_start(&p->tx, p->hdr_bytes + payload_bytes, multi_call);
    return 1;
}

/* First active source with a message, in priority order: its type (> 0), 0, or <0. */
static int packetizer_scan(const chunkcore_packetizer_t *p, uint32_t *payload_bytes)
{
    for (int t = 1; t < CHUNKCORE_MSG_TYPE_COUNT; t++) {
        const chunkcore_source_t *src = p->cfg->sources[t];
        if (src == NULL || !(p->active_mask & (1u << t))) {
            continue;
        }
        int rc = src->has_message(src->ctx, payload_bytes);
        if (rc != 0) {
            return rc < 0 ? rc : t;
        }
    }
    return 0;
}

int chunkcore_packetizer_begin(chunkcore_packetizer_t *p, bool multi_call,
                               chunkcore_msg_info_t *info)
{
    if (p->state == CHUNKCORE_PKT_AWAIT_CONFIRM) {
        return CHUNKCORE_E_PENDING;
    }
    if (p->state == CHUNKCORE_PKT_IDLE) {
        uint32_t payload_bytes = 0;
        int rc = packetizer_scan(p, &payload_bytes);
        if (rc <= 0) {
            return rc;
        }
        rc = packetizer_start(p, rc, payload_bytes, multi_call);
        if (rc < 0) {
            return rc;
        }
    }
    packetizer_fill_info(p, info);
    return 1;
}

/* The message is done with: the source deletes it. */
static int packetizer_delete(chunkcore_packetizer_t *p)
{
    const chunkcore_source_t *src = p->cfg->sources[p->type];
    p->state = CHUNKCORE_PKT_IDLE;
    p->type = CHUNKCORE_MSG_NONE;
    p->last_delete_status = src->mark_read(src->ctx);
    return p->last_delete_status;
}

/*
 * next() with a message known to be in progress: get_chunk()'s path too.
 * Inline so that a speed build spares get_chunk() a call per chunk; at -Os
 * the compiler keeps it one function.
 */
static inline int packetizer_send(chunkcore_packetizer_t *p, uint8_t *buf, size_t *len)
{
    /* No avail hint, no avail call: most sources can serve any read. */
    const chunkcore_source_t *src = p->cfg->sources[p->type];
    const chunkcore_msg_reader_t reader = {
        .read = packetizer_msg_read,
        .ctx = p,
        .readable_end =
            src->avail != NULL ? packetizer_readable_end(p, src) : CHUNKCORE_READABLE_ALL,
    };
    int rc = chunkcore_transport_next(&p->tx, &reader, buf, len);
    if (rc < 0) {
        return rc;
    }
    p->final_out = (rc == CHUNKCORE_TRANSPORT_LAST);
    if (p->final_out) {
        /* The last chunk is only in the caller's buffer yet: deleting now is
         * the reference behaviour; DELETE_ON_CONFIRM waits for delivery. */
        if (p->cfg->delete_policy == CHUNKCORE_DELETE_ON_CONFIRM) {
            p->state = CHUNKCORE_PKT_AWAIT_CONFIRM;
        } else {
            (void)packetizer_delete(p);
        }
        return CHUNKCORE_STATUS_END_OF_CHUNK;
    }
    return p->tx.multi_call ? CHUNKCORE_STATUS_MORE_DATA_FOR_CHUNK : CHUNKCORE_STATUS_END_OF_CHUNK;
}

int chunkcore_packetizer_next(chunkcore_packetizer_t *p, uint8_t *buf, size_t *len)
{
    if (p->state != CHUNKCORE_PKT_SENDING) {
        /* Nothing to send: *len stays as the caller set it, as the SDK leaves it. */
        return p->state == CHUNKCORE_PKT_AWAIT_CONFIRM ? CHUNKCORE_E_PENDING : CHUNKCORE_E_NODATA;
    }
    return packetizer_send(p, buf, len);
}

/*
 * The message is selected before the buffer is looked at, as the SDK does:
 * with nothing to send *len is left alone, and a buffer under 9 bytes has
 * started the message (in normal mode) when the transport refuses it.
 */
int chunkcore_packetizer_get_chunk(chunkcore_packetizer_t *p, uint8_t *buf, size_t *len)
{
    int rc;
    if (p->state != CHUNKCORE_PKT_SENDING) {
        rc = chunkcore_packetizer_begin(p, false, NULL);
        if (rc == 0 || rc == CHUNKCORE_E_PENDING) {
            return rc == 0 ? CHUNKCORE_E_NODATA : rc;
        }
        if (rc < 0) {
            *len = 0;
            return rc;
        }
    }
    rc = packetizer_send(p, buf, len);
    return rc < 0 ? rc : CHUNKCORE_OK;
}

bool chunkcore_packetizer_last_chunk_final(const chunkcore_packetizer_t *p)
{
    return p->final_out != 0;
}

int chunkcore_packetizer_confirm(chunkcore_packetizer_t *p)
{
    if (p->state != CHUNKCORE_PKT_AWAIT_CONFIRM) {
        return CHUNKCORE_E_INVAL;
    }
    return packetizer_delete(p);
}

void chunkcore_packetizer_abort(chunkcore_packetizer_t *p)
{
    p->state = CHUNKCORE_PKT_IDLE;
    p->type = CHUNKCORE_MSG_NONE;
    p->final_out = 0;
}

int chunkcore_packetizer_data_available(chunkcore_packetizer_t *p)
{
    if (p->state != CHUNKCORE_PKT_IDLE) {
        /* A message awaiting confirmation has nothing more to send. */
        return p->state == CHUNKCORE_PKT_SENDING;
    }
    uint32_t payload_bytes;
    int rc = packetizer_scan(p, &payload_bytes);
    return rc > 0 ? 1 : rc;
}

void chunkcore_packetizer_set_active_sources(chunkcore_packetizer_t *p, uint32_t mask)
{
    chunkcore_packetizer_abort(p);
    p->active_mask = mask;
}
