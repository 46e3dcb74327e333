#include "chunkcore/packetizer.h"
#include "chunkcore/error.h"

#include <string.h>

/*
 * The transport sees one message: the packetizer's own header bytes followed
 * by the source's payload. A chunk that spans both copies the header part
 * from RAM and makes exactly one source read for the payload part.
 */
static int packetizer_msg_read(void *ctx, uint32_t offset, void *buf, size_t len)
{
    chunkcore_packetizer_t *p = ctx;
    uint8_t *dst = buf;
    if (offset < p->hdr_bytes) {
        size_t n = p->hdr_bytes - offset;
        n = n < len ? n : len;
        memcpy(dst, p->hdr + offset, n);
        dst += n;
        len -= n;
        offset += (uint32_t)n;
    }
    if (len == 0) {
        return 0;
    }
    const chunkcore_source_t *src = p->cfg->sources[p->type];
    return src->read(src->ctx, offset - p->hdr_bytes, dst, len);
}

static uint32_t packetizer_msg_avail(void *ctx, uint32_t offset, uint32_t want)
{
    chunkcore_packetizer_t *p = ctx;
    const chunkcore_source_t *src = p->cfg->sources[p->type];
    uint32_t hdr_part = offset < p->hdr_bytes ? p->hdr_bytes - offset : 0;
    if (want <= hdr_part || src->avail == NULL) {
        return want;
    }
    uint32_t payload = src->avail(src->ctx, offset + hdr_part - p->hdr_bytes, want - hdr_part);
    /* No payload byte available after a header part: a header-only chunk
     * would carry nothing useful, so report "unknown" and let the read refuse. */
    return payload == 0 ? 0 : hdr_part + payload;
}

int chunkcore_packetizer_init(chunkcore_packetizer_t *p, const chunkcore_packetizer_config_t *cfg)
{
    memset(p, 0, sizeof(*p));
    if (cfg == NULL) {
        return CHUNKCORE_E_INVAL;
    }
    if (cfg->project_key != NULL) {
        size_t n = strlen(cfg->project_key);
        if (n == 0 || n > CHUNKCORE_PROJECT_KEY_MAX_CHARS) {
            return CHUNKCORE_E_INVAL;
        }
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

/* Header: type byte with its flags, then the NUL-terminated project key if any. */
static void packetizer_build_header(chunkcore_packetizer_t *p, uint8_t type)
{
    const char *key = p->cfg->project_key;
    p->hdr[0] = type;
    if (p->cfg->sources[type]->run_length_encoded) {
        p->hdr[0] |= CHUNKCORE_MSG_HDR_RLE;
    }
    p->hdr_bytes = 1;
    if (key != NULL) {
        size_t n = strlen(key) + 1;
        p->hdr[0] |= CHUNKCORE_MSG_HDR_KEY;
        memcpy(p->hdr + 1, key, n);
        p->hdr_bytes = (uint8_t)(1 + n);
    }
}

static int packetizer_start(chunkcore_packetizer_t *p, uint8_t type, uint32_t payload_bytes,
                            bool multi_call)
{
    packetizer_build_header(p, type);
    if (payload_bytes > UINT32_MAX - p->hdr_bytes - 3u) {
        return CHUNKCORE_E_INVAL;
    }
    const chunkcore_msg_reader_t reader = {
        .read = packetizer_msg_read,
        .avail = packetizer_msg_avail,
        .ctx = p,
    };
    p->type = type;
    p->state = CHUNKCORE_PKT_SENDING;
    chunkcore_transport_start(&p->tx, &reader, p->hdr_bytes + payload_bytes, multi_call);
    return 1;
}

/* First active source with a message, in priority order: 1 and its type, 0, or <0. */
static int packetizer_scan(const chunkcore_packetizer_t *p, uint8_t *type, uint32_t *payload_bytes)
{
    for (uint8_t t = 1; t < CHUNKCORE_MSG_TYPE_COUNT; t++) {
        const chunkcore_source_t *src = p->cfg->sources[t];
        if (src == NULL || !(p->active_mask & (1u << t))) {
            continue;
        }
        int rc = src->has_message(src->ctx, payload_bytes);
        if (rc != 0) {
            *type = t;
            return rc < 0 ? rc : 1;
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
        uint8_t type = 0;
        uint32_t payload_bytes = 0;
        int rc = packetizer_scan(p, &type, &payload_bytes);
        if (rc <= 0) {
            return rc;
        }
        rc = packetizer_start(p, type, payload_bytes, multi_call);
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

int chunkcore_packetizer_next(chunkcore_packetizer_t *p, uint8_t *buf, size_t *len)
{
    if (p->state != CHUNKCORE_PKT_SENDING) {
        /* Nothing to send: *len stays as the caller set it, as the SDK leaves it. */
        return p->state == CHUNKCORE_PKT_AWAIT_CONFIRM ? CHUNKCORE_E_PENDING : CHUNKCORE_E_NODATA;
    }
    int rc = chunkcore_transport_next(&p->tx, buf, len);
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

/*
 * The message is selected before the buffer is looked at, as the SDK does:
 * with nothing to send *len is left alone, and a buffer under 9 bytes has
 * started the message (in normal mode) when the transport refuses it.
 */
int chunkcore_packetizer_get_chunk(chunkcore_packetizer_t *p, uint8_t *buf, size_t *len)
{
    int rc = chunkcore_packetizer_begin(p, false, NULL);
    if (rc == 0 || rc == CHUNKCORE_E_PENDING) {
        return rc == 0 ? CHUNKCORE_E_NODATA : rc;
    }
    if (rc < 0) {
        *len = 0;
        return rc;
    }
    rc = chunkcore_packetizer_next(p, buf, len);
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
    uint8_t type;
    uint32_t payload_bytes;
    return packetizer_scan(p, &type, &payload_bytes);
}

void chunkcore_packetizer_set_active_sources(chunkcore_packetizer_t *p, uint32_t mask)
{
    chunkcore_packetizer_abort(p);
    p->active_mask = mask;
}
