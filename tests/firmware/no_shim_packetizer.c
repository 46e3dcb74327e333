/*
 * A packetizer linked into a glue without chunksim's shim (chunksim_add_glue,
 * no --wrap): its reads would be invisible to the monitor, so the object
 * must be refused when it is opened, never run unchecked.
 */
#include <stdbool.h>
#include <stddef.h>

bool memfault_packetizer_get_chunk(void *buf, size_t *buf_len);

bool memfault_packetizer_get_chunk(void *buf, size_t *buf_len)
{
    (void)buf;
    (void)buf_len;
    return false;
}
