/* A batch's results as one JSON document (batch.h, cli_batch_json). */
#include "batch.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>

static const char *batch_json_expect(chunksim_expect_t e)
{
    return e == CHUNKSIM_EXPECT_NONE ? "ok" : chunksim_expect_name(e);
}

static json_t *batch_json_case(const cli_batch_t *b, size_t i)
{
    const cli_batch_result_t *r = &b->results[i];
    chunksim_matrix_case_t c;
    if (cli_batch_case(b->cfg, i, &c) < 0)
        return json_null();
    char repro[4096], name[4096];
    chunksim_matrix_case_repro(&c, repro, sizeof repro);
    chunksim_matrix_case_name(b->cfg->matrix, &c, name, sizeof name);
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:s, s:b, s:b, s:s}", "index", (json_int_t)c.index, "id", c.id,
                  "name", name, "file", c.path, "ran", r->ran, "passed", r->passed, "repro", repro);
    if (r->ran) {
        json_object_set_new(o, "scenario", json_string(r->name ? r->name : ""));
        json_object_set_new(o, "seed", json_integer((json_int_t)r->seed));
        json_object_set_new(o, "outcome", json_string(chunksim_outcome_name(r->outcome)));
        json_object_set_new(o, "expect", json_string(batch_json_expect(r->expect)));
        json_object_set_new(o, "reason", r->reason ? json_string(r->reason) : json_null());
        json_object_set_new(o, "run_id", r->run_id > 0 ? json_integer(r->run_id) : json_null());
        json_object_set_new(o, "wall_ms", json_real(r->wall_ms));
    }
    return o;
}

static json_t *batch_json_summary(const cli_batch_t *b)
{
    const cli_batch_config_t *cfg = b->cfg;
    json_t *outcomes = json_object();
    for (int o = 0; o <= CHUNKSIM_OUTCOME_ERROR; o++)
        json_object_set_new(outcomes, chunksim_outcome_name((chunksim_outcome_t)o),
                            json_integer((json_int_t)b->outcomes[o]));
    bool recorded = cfg->db_path != NULL && cfg->db_path[0] != '\0';
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:s?, s:b, s:f, s:I, s:o, s:s?}", "cases",
                     (json_int_t)cfg->case_count, "run", (json_int_t)b->done, "passed",
                     (json_int_t)(b->done - b->failed), "failed", (json_int_t)b->failed, "not_run",
                     (json_int_t)b->not_run, "interrupted", b->interrupted, "signal",
                     b->interrupted ? (b->signal == SIGTERM ? "SIGTERM" : "SIGINT") : NULL,
                     "stopped", b->stopped, "elapsed_s", b->elapsed_s, "jobs", (json_int_t)b->jobs,
                     "outcomes", outcomes, "db", recorded ? cfg->db_path : NULL);
}

int cli_batch_json(const cli_batch_t *b, json_t *verdict, FILE *out)
{
    json_t *cases = json_array();
    for (size_t i = 0; i < b->cfg->case_count; i++)
        json_array_append_new(cases, batch_json_case(b, i));
    json_t *doc = json_pack("{s:o, s:o, s:o?}", "cases", cases, "summary", batch_json_summary(b),
                            "verdict", verdict);
    int rc = doc != NULL && json_dumpf(doc, out, JSON_INDENT(2)) == 0 ? 0 : -EIO;
    fputc('\n', out);
    json_decref(doc);
    return rc;
}
