#include "flashmodel/fault.h"
#include "flashmodel/error.h"

#include "names.h"

static const char *const fault_names[] = {FLASHMODEL_FAULT_MAP(FM_NAME_STRING_)};
static const char *const trigger_names[] = {FLASHMODEL_TRIGGER_MAP(FM_NAME_STRING_)};

int flashmodel_fault_rule_check(const flashmodel_fault_rule_t *r)
{
    if (r == NULL || r->kind <= FLASHMODEL_FAULT_NONE || r->kind >= FLASHMODEL_FAULT_COUNT ||
        (unsigned)r->trigger >= FLASHMODEL_TRIGGER_COUNT) {
        return FLASHMODEL_E_INVAL;
    }
    if ((r->ops & ~(FLASHMODEL_OP_BIT(FLASHMODEL_OP_KIND_COUNT) - 1u)) != 0) {
        return FLASHMODEL_E_INVAL;
    }
    if (r->trigger == FLASHMODEL_TRIG_RATE && !(r->rate >= 0 && r->rate <= 1)) {
        return FLASHMODEL_E_INVAL;
    }
    bool flips =
        r->kind == FLASHMODEL_FAULT_BITFLIP_TRANSIENT || r->kind == FLASHMODEL_FAULT_BITFLIP_STUCK;
    if (flips && r->bits > FLASHMODEL_MAX_FLIPS) {
        return FLASHMODEL_E_INVAL;
    }
    return 0;
}

bool flashmodel_fault_applies(flashmodel_fault_t fault, flashmodel_op_kind_t op)
{
    bool erase = op == FLASHMODEL_OP_ERASE_SECTOR || op == FLASHMODEL_OP_ERASE_BLOCK ||
                 op == FLASHMODEL_OP_ERASE_CHIP;
    switch (fault) {
    case FLASHMODEL_FAULT_READ_ERROR:
    case FLASHMODEL_FAULT_READ_TIMEOUT:
    case FLASHMODEL_FAULT_BITFLIP_TRANSIENT:
    case FLASHMODEL_FAULT_BITFLIP_STUCK:
        return op == FLASHMODEL_OP_READ;
    case FLASHMODEL_FAULT_PROGRAM_FAIL:
    case FLASHMODEL_FAULT_SILENT_PROGRAM:
    case FLASHMODEL_FAULT_TORN_PROGRAM:
    case FLASHMODEL_FAULT_MISDIRECTED_WRITE:
        return op == FLASHMODEL_OP_PROGRAM;
    case FLASHMODEL_FAULT_ERASE_FAIL:
    case FLASHMODEL_FAULT_SILENT_ERASE:
    case FLASHMODEL_FAULT_WEAR_OUT:
        return erase;
    case FLASHMODEL_FAULT_BAD_SECTOR:
    case FLASHMODEL_FAULT_POWER_LOSS:
        return (unsigned)op < FLASHMODEL_OP_KIND_COUNT;
    default:
        return false;
    }
}

FLASHMODEL__NAME_LOOKUPS(flashmodel_fault_t, flashmodel_fault_name, flashmodel_fault_from_name,
                         fault_names, FLASHMODEL_FAULT_COUNT)

FLASHMODEL__NAME_LOOKUPS(flashmodel_trigger_t, flashmodel_trigger_name,
                         flashmodel_trigger_from_name, trigger_names, FLASHMODEL_TRIGGER_COUNT)
