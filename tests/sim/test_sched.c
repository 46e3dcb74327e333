/* chunksim_sched: virtual and realtime event order, work offload, limit, close. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chunksim_test.h"
#include "chunksim_test_main.h"

#include "chunksim/rng.h"
#include "chunksim/sched.h"

#define MAX_RECORDS 8192

/* A delay no realtime case waits out: work that long must be cancelled or dropped. */
#define HOUR_US (UINT64_C(3600) * 1000 * 1000)

typedef struct record {
    int id;
    uint64_t time_us;
    uint64_t seq;
    uint64_t now_us;
    uint64_t wall_ns; /* uv_hrtime() when the callback ran */
} record_t;

/* One loop and scheduler per test, and what the callbacks saw. */
typedef struct fixture {
    uv_loop_t loop;
    chunksim_sched_t sched;
    record_t records[MAX_RECORDS];
    size_t count;
    int close_calls;
    int limit_calls;
    int work_fn_calls;
    int done_calls;
    uv_thread_t loop_thread;
    uv_thread_t work_thread;
    uv_thread_t done_thread;
    uint64_t work_fn_now_us;
    int work_fn_order;
    int done_order;
    int order;
    uv_sem_t started;
    uv_sem_t release;
} fixture_t;

static fixture_t fx;

static void fixture_open(chunksim_sched_mode_t mode, double scale)
{
    memset(&fx, 0, sizeof(fx));
    assert_int_equal(uv_loop_init(&fx.loop), 0);
    chunksim_sched_config_t cfg = {.mode = mode, .realtime_scale = scale};
    assert_int_equal(chunksim_sched_init(&fx.sched, &fx.loop, &cfg), 0);
    fx.loop_thread = uv_thread_self();
}

static void on_closed(chunksim_sched_t *sched)
{
    assert_ptr_equal(sched, &fx.sched);
    fx.close_calls++;
}

/* Runs the loop until nothing is left to do; count events have run by then. */
static void run_until_idle(size_t count)
{
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.count, count);
}

/* Every test ends here: nothing of the scheduler may stay in the loop. */
static void fixture_close(void)
{
    chunksim_sched_close(&fx.sched, on_closed);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.close_calls, 1);
    assert_int_equal(uv_loop_close(&fx.loop), 0);
}

static void record_event(chunksim_event_t *ev)
{
    assert_lt(fx.count, MAX_RECORDS);
    fx.records[fx.count++] = (record_t){
        .id = (int)(intptr_t)ev->data,
        .time_us = ev->time_us,
        .seq = ev->seq,
        .now_us = chunksim_sched_now_us(ev->sched),
        .wall_ns = uv_hrtime(),
    };
}

static void schedule(chunksim_event_t *ev, uint64_t delay_us, int id)
{
    assert_int_equal(chunksim_sched_at(&fx.sched, ev, delay_us, record_event, (void *)(intptr_t)id),
                     0);
}

/* cmocka fixtures around fixture_open() and fixture_close(). */
static int setup_virtual(void **state)
{
    (void)state;
    fixture_open(CHUNKSIM_SCHED_VIRTUAL, 1.0);
    return 0;
}

static int setup_realtime(void **state)
{
    (void)state;
    fixture_open(CHUNKSIM_SCHED_REALTIME, 1.0);
    return 0;
}

/* A case whose events are still pending when it returns must close the
 * scheduler itself: those events live on its stack, which closing writes. */
static int teardown(void **state)
{
    (void)state;
    if (chunksim_sched_pending_count(&fx.sched) != 0) {
        print_error("%zu event(s) still pending on the finished case's stack: "
                    "the case must call fixture_close() itself\n",
                    chunksim_sched_pending_count(&fx.sched));
        return -1;
    }
    fixture_close();
    return 0;
}

/* ---- virtual ---- */

static void test_virtual_events_run_in_time_order_and_clock_follows(void **state)
{
    (void)state;
    chunksim_event_t ev[3];

    schedule(&ev[0], 300, 0);
    schedule(&ev[1], 100, 1);
    schedule(&ev[2], 200, 2);
    assert_int_equal(chunksim_sched_pending_count(&fx.sched), 3);
    run_until_idle(3);
    const int ids[] = {1, 2, 0};
    const uint64_t times[] = {100, 200, 300};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(fx.records[i].id, ids[i]);
        assert_int_equal(fx.records[i].now_us, times[i]);
    }
    assert_int_equal(chunksim_sched_now_us(&fx.sched), 300);
    assert_int_equal(chunksim_sched_events_run(&fx.sched), 3);
    assert_int_equal(chunksim_sched_pending_count(&fx.sched), 0);
}

static void test_virtual_callback_never_runs_inline(void **state)
{
    (void)state;
    chunksim_event_t ev;

    schedule(&ev, 0, 7);
    assert_int_equal(fx.count, 0);
    assert_true(chunksim_sched_is_pending(&fx.sched, &ev));
    run_until_idle(1);
    assert_int_equal(fx.records[0].now_us, 0);
}

static void test_virtual_equal_times_run_in_scheduling_order(void **state)
{
    (void)state;
    chunksim_event_t ev[32];

    for (int i = 0; i < 32; i++) {
        /* Alternate two times so the heap has to reorder, not just append. */
        schedule(&ev[i], i % 2 == 0 ? 50 : 40, i);
    }
    run_until_idle(32);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(fx.records[i].id, 2 * i + 1);
        assert_int_equal(fx.records[16 + i].id, 2 * i);
    }
}

/* The determinism run: events at colliding times drawn from a seeded rng,
 * half of them rescheduling themselves from their own callback. */
#define DET_EVENTS 1000

static chunksim_rng_t det_rng;
static chunksim_event_t det_ev[DET_EVENTS];
static int det_reschedules_left;

static void det_event_cb(chunksim_event_t *ev)
{
    record_event(ev);
    if (det_reschedules_left > 0 && chunksim_rng_range(&det_rng, 0, 1) == 1) {
        det_reschedules_left--;
        assert_int_equal(chunksim_sched_at(ev->sched, ev, chunksim_rng_range(&det_rng, 0, 20),
                                           det_event_cb, ev->data),
                         0);
    }
}

static size_t det_run(record_t *out)
{
    fixture_open(CHUNKSIM_SCHED_VIRTUAL, 1.0);
    chunksim_rng_seed(&det_rng, 20240601);
    det_reschedules_left = 2000;
    for (int i = 0; i < DET_EVENTS; i++) {
        assert_int_equal(chunksim_sched_at(&fx.sched, &det_ev[i],
                                           chunksim_rng_range(&det_rng, 0, 20), det_event_cb,
                                           (void *)(intptr_t)i),
                         0);
    }
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    size_t n = fx.count;
    memcpy(out, fx.records, n * sizeof(*out));
    fixture_close();
    return n;
}

static void test_virtual_seeded_colliding_times_run_identically_twice(void **state)
{
    (void)state;
    static record_t first[MAX_RECORDS], second[MAX_RECORDS];

    size_t n1 = det_run(first);
    size_t n2 = det_run(second);

    assert_gt(n1, DET_EVENTS + DET_EVENTS / 2); /* the rescheduled ones ran too */
    assert_int_equal(n1, n2);
    size_t collisions = 0;
    for (size_t i = 0; i < n1; i++) {
        assert_int_equal(first[i].id, second[i].id);
        assert_int_equal(first[i].time_us, second[i].time_us);
        assert_int_equal(first[i].seq, second[i].seq);
        assert_int_equal(first[i].now_us, first[i].time_us);
        if (i == 0) {
            continue;
        }
        /* Ordered by (time, seq): later time, or equal time and later seq. */
        assert_le(first[i - 1].time_us, first[i].time_us);
        if (first[i - 1].time_us == first[i].time_us) {
            assert_lt(first[i - 1].seq, first[i].seq);
            collisions++;
        }
    }
    assert_gt(collisions, n1 / 2);
}

static void test_virtual_cancel_prevents_callback(void **state)
{
    (void)state;
    chunksim_event_t ev[3];
    chunksim_event_t never;

    schedule(&ev[0], 10, 0);
    schedule(&ev[1], 20, 1);
    schedule(&ev[2], 30, 2);
    assert_int_equal(chunksim_sched_cancel(&fx.sched, &ev[1]), 0);
    assert_false(chunksim_sched_is_pending(&fx.sched, &ev[1]));
    assert_int_equal(chunksim_sched_cancel(&fx.sched, &ev[1]), CHUNKSIM_E_NOENT);
    /* Garbage in a never-scheduled event does not fool the check. */
    memset(&never, 0xa5, sizeof(never));
    assert_int_equal(chunksim_sched_cancel(&fx.sched, &never), CHUNKSIM_E_NOENT);
    never.sched = &fx.sched;
    never.heap_index = 0;
    assert_false(chunksim_sched_is_pending(&fx.sched, &never));

    run_until_idle(2);
    assert_int_equal(fx.records[0].id, 0);
    assert_int_equal(fx.records[1].id, 2);
    /* Ran already: not pending any more. */
    assert_int_equal(chunksim_sched_cancel(&fx.sched, &ev[0]), CHUNKSIM_E_NOENT);
}

static void test_virtual_cancelling_the_last_event_releases_the_loop(void **state)
{
    (void)state;
    chunksim_event_t ev;

    schedule(&ev, 10, 0);
    assert_true(uv_loop_alive(&fx.loop));
    assert_int_equal(chunksim_sched_cancel(&fx.sched, &ev), 0);
    assert_false(uv_loop_alive(&fx.loop));
    run_until_idle(0);
}

static void test_virtual_at_rejects_pending_event_and_missing_callback(void **state)
{
    (void)state;
    chunksim_event_t ev;

    schedule(&ev, 10, 0);
    assert_int_equal(chunksim_sched_at(&fx.sched, &ev, 5, record_event, NULL), CHUNKSIM_E_BUSY);
    assert_int_equal(ev.time_us, 10);
    chunksim_event_t other;
    assert_int_equal(chunksim_sched_at(&fx.sched, &other, 5, NULL, NULL), CHUNKSIM_E_INVAL);
    run_until_idle(1);
}

static void schedule_max_delay_cb(chunksim_event_t *ev)
{
    chunksim_event_t *far = ev->data;
    assert_int_equal(chunksim_sched_at(ev->sched, far, UINT64_MAX, record_event, NULL), 0);
}

static void test_virtual_delay_saturates_instead_of_wrapping(void **state)
{
    (void)state;
    chunksim_event_t first, far;

    assert_int_equal(chunksim_sched_at(&fx.sched, &first, 100, schedule_max_delay_cb, &far), 0);
    run_until_idle(1);
    assert_int_equal(fx.records[0].time_us, UINT64_MAX);
}

static void heap_stress_cb(chunksim_event_t *ev)
{
    record_event(ev);
}

static void test_virtual_heap_survives_growth_and_random_cancels(void **state)
{
    (void)state;
    enum { N = 3000 };
    static chunksim_event_t ev[N];
    static bool cancelled[N];
    chunksim_rng_t rng;

    chunksim_rng_seed(&rng, 11);
    for (int i = 0; i < N; i++) {
        cancelled[i] = false;
        assert_int_equal(chunksim_sched_at(&fx.sched, &ev[i], chunksim_rng_range(&rng, 0, 5000),
                                           heap_stress_cb, (void *)(intptr_t)i),
                         0);
    }
    size_t kept = N;
    for (int k = 0; k < N / 3; k++) {
        int i = (int)chunksim_rng_range(&rng, 0, N - 1);
        int rc = chunksim_sched_cancel(&fx.sched, &ev[i]);
        assert_int_equal(rc, cancelled[i] ? CHUNKSIM_E_NOENT : 0);
        if (!cancelled[i]) {
            cancelled[i] = true;
            kept--;
        }
    }
    assert_int_equal(chunksim_sched_pending_count(&fx.sched), kept);
    run_until_idle(kept);
    for (size_t i = 0; i < fx.count; i++) {
        assert_false(cancelled[fx.records[i].id]);
        if (i > 0) {
            assert_true(fx.records[i - 1].time_us < fx.records[i].time_us ||
                        (fx.records[i - 1].time_us == fx.records[i].time_us &&
                         fx.records[i - 1].seq < fx.records[i].seq));
        }
    }
}

/* ---- virtual work ---- */

static void work_fn_record(chunksim_work_t *w)
{
    (void)w;
    fx.work_fn_calls++;
    fx.work_thread = uv_thread_self();
    fx.work_fn_order = ++fx.order;
}

static void work_done_record(chunksim_work_t *w)
{
    fx.done_calls++;
    fx.done_thread = uv_thread_self();
    fx.done_order = ++fx.order;
    fx.records[fx.count++] = (record_t){.now_us = chunksim_sched_now_us(w->sched)};
}

/* The work ran: work_fn once, then its done_cb once. */
static void assert_work_fn_then_done_ran_once(void)
{
    assert_int_equal(fx.work_fn_calls, 1);
    assert_int_equal(fx.done_calls, 1);
    assert_lt(fx.work_fn_order, fx.done_order);
}

static void test_virtual_work_runs_work_fn_then_done_after_duration(void **state)
{
    (void)state;
    chunksim_work_t w;

    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 5000, work_fn_record, work_done_record), 0);
    assert_int_equal(fx.work_fn_calls + fx.done_calls, 0);
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 10, work_fn_record, work_done_record),
                     CHUNKSIM_E_BUSY);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);

    assert_work_fn_then_done_ran_once();
    assert_int_equal(fx.records[0].now_us, 5000);
    assert_true(uv_thread_equal(&fx.work_thread, &fx.loop_thread));
    assert_true(uv_thread_equal(&fx.done_thread, &fx.loop_thread));
    /* Done: the same request can be started again. */
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 10, NULL, work_done_record), 0);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.done_calls, 2);
    assert_int_equal(fx.work_fn_calls, 1);
    assert_int_equal(fx.records[1].now_us, 5010);
}

static void test_virtual_work_cancel_runs_nothing(void **state)
{
    (void)state;
    chunksim_work_t w;

    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 5000, work_fn_record, work_done_record), 0);
    assert_int_equal(chunksim_sched_work_cancel(&fx.sched, &w), 0);
    assert_int_equal(chunksim_sched_work_cancel(&fx.sched, &w), CHUNKSIM_E_NOENT);
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 1, work_fn_record, NULL), CHUNKSIM_E_INVAL);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.work_fn_calls + fx.done_calls, 0);
}

/* ---- limit ---- */

static void endless_cb(chunksim_event_t *ev)
{
    record_event(ev);
    assert_int_equal(chunksim_sched_at(ev->sched, ev, 1000, endless_cb, ev->data), 0);
}

static void on_limit(chunksim_sched_t *sched)
{
    assert_ptr_equal(sched, &fx.sched);
    fx.limit_calls++;
}

static void test_limit_ends_an_endless_run_and_reports_it(void **state)
{
    (void)state;
    chunksim_event_t ev;

    chunksim_sched_set_limit(&fx.sched, 10500, on_limit);
    assert_int_equal(chunksim_sched_at(&fx.sched, &ev, 0, endless_cb, NULL), 0);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);

    assert_true(chunksim_sched_limit_reached(&fx.sched));
    assert_int_equal(fx.limit_calls, 1);
    assert_int_equal(fx.count, 11); /* 0, 1000, ..., 10000 */
    assert_int_equal(chunksim_sched_now_us(&fx.sched), 10000);
    assert_int_equal(chunksim_sched_pending_count(&fx.sched), 1);
    assert_true(chunksim_sched_is_pending(&fx.sched, &ev));

    /* An event at exactly the limit still runs. */
    chunksim_sched_set_limit(&fx.sched, 12000, on_limit);
    assert_false(chunksim_sched_limit_reached(&fx.sched));
    run_until_idle(13);
    assert_int_equal(fx.records[12].time_us, 12000);
    assert_int_equal(fx.limit_calls, 2);
    fixture_close(); /* ev is still pending, on this stack */
}

static void test_scheduling_after_the_limit_runs_nothing(void **state)
{
    (void)state;
    chunksim_event_t late, extra;

    chunksim_sched_set_limit(&fx.sched, 100, NULL);
    schedule(&late, 200, 0);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_true(chunksim_sched_limit_reached(&fx.sched));
    /* Scheduling after the limit is accepted but runs nothing. */
    schedule(&extra, 0, 1);
    assert_false(uv_loop_alive(&fx.loop));
    run_until_idle(0);
    fixture_close();
}

/* ---- close ---- */

static void test_close_drops_everything_and_leaves_loop_empty(void **state)
{
    (void)state;
    chunksim_event_t ev[4];
    chunksim_work_t w;

    for (int i = 0; i < 4; i++) {
        schedule(&ev[i], (uint64_t)i * 10, i);
    }
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 5, work_fn_record, work_done_record), 0);
    chunksim_sched_close(&fx.sched, on_closed);
    chunksim_sched_close(&fx.sched, on_closed); /* second call: nothing */
    assert_false(chunksim_sched_is_pending(&fx.sched, &ev[0]));
    assert_int_equal(chunksim_sched_at(&fx.sched, &ev[0], 1, record_event, NULL), CHUNKSIM_E_INVAL);
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 1, NULL, work_done_record),
                     CHUNKSIM_E_INVAL);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.close_calls, 1);
    assert_int_equal(fx.count + (size_t)fx.work_fn_calls + (size_t)fx.done_calls, 0);
    assert_int_equal(uv_loop_close(&fx.loop), 0);
}

static void close_from_cb(chunksim_event_t *ev)
{
    record_event(ev);
    chunksim_sched_close(ev->sched, on_closed);
}

static void test_close_from_inside_a_callback_stops_the_rest(void **state)
{
    (void)state;
    chunksim_event_t first, second;

    assert_int_equal(chunksim_sched_at(&fx.sched, &first, 10, close_from_cb, NULL), 0);
    schedule(&second, 10, 1);
    run_until_idle(1);
    assert_int_equal(fx.close_calls, 1);
    assert_int_equal(uv_loop_close(&fx.loop), 0);
}

static void test_init_rejects_bad_config(void **state)
{
    (void)state;
    uv_loop_t loop;
    chunksim_sched_t sched;

    assert_int_equal(uv_loop_init(&loop), 0);
    chunksim_sched_config_t bad_mode = {.mode = (chunksim_sched_mode_t)7};
    assert_int_equal(chunksim_sched_init(&sched, &loop, &bad_mode), CHUNKSIM_E_INVAL);
    const double bad_scales[] = {-1.0, NAN, INFINITY};
    for (size_t i = 0; i < 3; i++) {
        chunksim_sched_config_t cfg = {.mode = CHUNKSIM_SCHED_REALTIME,
                                       .realtime_scale = bad_scales[i]};
        assert_int_equal(chunksim_sched_init(&sched, &loop, &cfg), CHUNKSIM_E_INVAL);
    }
    /* Nothing was left behind by the refusals. */
    assert_int_equal(uv_loop_close(&loop), 0);

    /* NULL config: virtual, clock at zero. */
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(chunksim_sched_init(&sched, &loop, NULL), 0);
    assert_int_equal(chunksim_sched_now_us(&sched), 0);
    chunksim_sched_close(&sched, NULL);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- realtime ---- */

static void test_realtime_events_run_in_order_and_never_early(void **state)
{
    (void)state;
    chunksim_event_t ev[5];

    uint64_t t0_ns = uv_hrtime();
    fixture_open(CHUNKSIM_SCHED_REALTIME, 1.0);
    schedule(&ev[0], 3000, 0);
    schedule(&ev[1], 1000, 1);
    schedule(&ev[2], 2000, 2);
    schedule(&ev[3], 2000, 3);
    schedule(&ev[4], 0, 4);
    assert_int_equal(fx.count, 0);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);

    /* The model clock does not move while the test schedules, however
     * slow the machine: the order is the virtual one, and each callback
     * sees its own due time; the wall clock only decides when it runs. */
    assert_int_equal(fx.count, 5);
    const int ids[] = {4, 1, 2, 3, 0};
    const uint64_t times[] = {0, 1000, 2000, 2000, 3000};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(fx.records[i].id, ids[i]);
        assert_int_equal(fx.records[i].now_us, times[i]);
        assert_ge(fx.records[i].wall_ns - t0_ns, times[i] * 1000);
    }
}

static void test_realtime_cancel_rearms_for_the_next_event(void **state)
{
    (void)state;
    chunksim_event_t soon, later;

    schedule(&soon, 1000, 0);
    schedule(&later, 2000, 1);
    assert_int_equal(chunksim_sched_cancel(&fx.sched, &soon), 0);
    run_until_idle(1);
    assert_int_equal(fx.records[0].id, 1);
    assert_ge(fx.records[0].now_us, 2000);
}

static void test_realtime_scale_shrinks_real_delays_not_model_time(void **state)
{
    (void)state;
    chunksim_event_t ev;
    const uint64_t ten_s_us = 10 * 1000 * 1000;

    fixture_open(CHUNKSIM_SCHED_REALTIME, 0.001);
    uint64_t t0_ns = uv_hrtime();
    schedule(&ev, ten_s_us, 0);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    uint64_t real_ns = uv_hrtime() - t0_ns;

    assert_int_equal(fx.count, 1);
    assert_ge(fx.records[0].now_us, ten_s_us);
    /* 10 ms expected; a bound 200 times looser only catches a scale that
     * was not applied. */
    assert_lt(real_ns, UINT64_C(2000000000));
}

/* A chain of events 50 us apart, each scheduled from the one before. */
#define CHAIN_EVENTS   1000
#define CHAIN_DELAY_US 50

static void chain_cb(chunksim_event_t *ev)
{
    record_event(ev);
    if (fx.count < CHAIN_EVENTS) {
        assert_int_equal(chunksim_sched_at(ev->sched, ev, CHAIN_DELAY_US, chain_cb, ev->data), 0);
    }
}

static void test_realtime_sub_millisecond_delays_are_not_rounded_up(void **state)
{
    (void)state;
    chunksim_event_t ev;

    uint64_t t0_ns = uv_hrtime();
    assert_int_equal(chunksim_sched_at(&fx.sched, &ev, CHAIN_DELAY_US, chain_cb, NULL), 0);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    uint64_t real_ns = uv_hrtime() - t0_ns;

    assert_int_equal(fx.count, CHAIN_EVENTS);
    assert_int_equal(fx.records[CHAIN_EVENTS - 1].now_us, CHAIN_EVENTS * CHAIN_DELAY_US);
    /* 50 ms modelled. A timer of whole milliseconds takes at least 1 s; the
     * bound, ten times the model, only catches that. */
    assert_lt(real_ns, UINT64_C(10) * CHAIN_EVENTS * CHAIN_DELAY_US * 1000);
}

/* Holds the loop thread for 3 ms, as a slow host or a long callback does,
 * then schedules the next event 100 us later. */
static void late_host_cb(chunksim_event_t *ev)
{
    record_event(ev);
    uint64_t until_ns = uv_hrtime() + 3000 * 1000;
    while (uv_hrtime() < until_ns) {
    }
    chunksim_event_t *next = ev->data;
    assert_int_equal(chunksim_sched_now_us(ev->sched), ev->time_us);
    schedule(next, 100, 1);
}

static void test_realtime_host_latency_does_not_enter_the_model_clock(void **state)
{
    (void)state;
    chunksim_event_t first, second;

    assert_int_equal(chunksim_sched_at(&fx.sched, &first, 1000, late_host_cb, &second), 0);
    run_until_idle(2);
    /* 1000 + 100 as in virtual time, not 1000 + 3000 of host time + 100. */
    assert_int_equal(fx.records[1].time_us, 1100);
    assert_int_equal(fx.records[1].now_us, 1100);
}

static void test_realtime_work_completes_in_virtual_order_at_its_due_time(void **state)
{
    (void)state;
    chunksim_work_t w;
    chunksim_event_t before, after;

    schedule(&before, 2000, 1);
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 2000, work_fn_record, work_done_record), 0);
    schedule(&after, 2000, 2);
    assert_int_equal(chunksim_sched_pending_count(&fx.sched), 3);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);

    /* work_done_record appends a record with id 0. */
    assert_int_equal(fx.count, 3);
    const int ids[] = {1, 0, 2};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(fx.records[i].id, ids[i]);
        assert_int_equal(fx.records[i].now_us, 2000);
    }
    assert_int_equal(chunksim_sched_events_run(&fx.sched), 3);
    assert_false(uv_thread_equal(&fx.work_thread, &fx.loop_thread));
}

static void test_realtime_work_sleeps_on_the_pool_and_completes_on_the_loop(void **state)
{
    (void)state;
    chunksim_work_t w;

    /* No init needed: garbage, even a pointer into the scheduler, is fine. */
    memset(&w, 0xa5, sizeof(w));
    w.sched = &fx.sched;
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 2000, work_fn_record, work_done_record), 0);
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 2000, work_fn_record, work_done_record),
                     CHUNKSIM_E_BUSY);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);

    assert_work_fn_then_done_ran_once();
    assert_false(uv_thread_equal(&fx.work_thread, &fx.loop_thread));
    assert_true(uv_thread_equal(&fx.done_thread, &fx.loop_thread));
    assert_ge(fx.records[0].now_us, 2000);
    assert_int_equal(chunksim_sched_work_cancel(&fx.sched, &w), CHUNKSIM_E_NOENT);
}

static chunksim_work_t hour_work;

static void cancel_hour_work_cb(chunksim_event_t *ev)
{
    assert_int_equal(chunksim_sched_work_cancel(ev->sched, &hour_work), 0);
    assert_int_equal(chunksim_sched_work_cancel(ev->sched, &hour_work), CHUNKSIM_E_NOENT);
}

static void test_realtime_work_cancel_wakes_a_sleeping_worker(void **state)
{
    (void)state;
    chunksim_event_t ev;

    assert_int_equal(
        chunksim_sched_work(&fx.sched, &hour_work, HOUR_US, work_fn_record, work_done_record), 0);
    /* Cancel once a pool thread has certainly picked it up and sleeps; a
     * sleep not woken by cancel would run into the test's timeout. */
    assert_int_equal(chunksim_sched_at(&fx.sched, &ev, 20000, cancel_hour_work_cb, NULL), 0);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.work_fn_calls + fx.done_calls, 0);
}

static void test_realtime_cancelled_work_can_be_freed_at_once(void **state)
{
    (void)state;
    chunksim_work_t w;

    assert_int_equal(chunksim_sched_work(&fx.sched, &w, HOUR_US, work_fn_record, work_done_record),
                     0);
    /* Queued or already sleeping on a pool thread: both detach. */
    assert_int_equal(chunksim_sched_work_cancel(&fx.sched, &w), 0);
    /* The caller's struct is free to go at once. */
    memset(&w, 0xa5, sizeof(w));
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.work_fn_calls + fx.done_calls, 0);
}

/* work_fn that holds its pool thread until the loop releases it, so the
 * loop knows for certain that work_fn is running. */
static void blocking_work_fn(chunksim_work_t *w)
{
    (void)w;
    fx.work_fn_calls++;
    uv_sem_post(&fx.started);
    uv_sem_wait(&fx.release);
}

static void cancel_running_work_cb(chunksim_event_t *ev)
{
    chunksim_work_t *w = ev->data;
    uv_sem_wait(&fx.started);
    assert_int_equal(chunksim_sched_work_cancel(ev->sched, w), CHUNKSIM_E_BUSY);
    uv_sem_post(&fx.release);
}

static void test_realtime_work_cancel_is_refused_once_work_fn_runs(void **state)
{
    (void)state;
    chunksim_work_t w;
    chunksim_event_t ev;

    assert_int_equal(uv_sem_init(&fx.started, 0), 0);
    assert_int_equal(uv_sem_init(&fx.release, 0), 0);
    /* The event first: at equal times the completion runs after it, as in
     * virtual time, and the loop waits for work_fn before running it. */
    assert_int_equal(chunksim_sched_at(&fx.sched, &ev, 0, cancel_running_work_cb, &w), 0);
    assert_int_equal(chunksim_sched_work(&fx.sched, &w, 0, blocking_work_fn, work_done_record), 0);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.work_fn_calls, 1);
    assert_int_equal(fx.done_calls, 1);
    uv_sem_destroy(&fx.started);
    uv_sem_destroy(&fx.release);
}

static void close_while_running_cb(chunksim_event_t *ev)
{
    uv_sem_wait(&fx.started);
    chunksim_sched_close(ev->sched, on_closed);
    /* close_cb must wait for the running work_fn. */
    assert_int_equal(fx.close_calls, 0);
    uv_sem_post(&fx.release);
}

static void test_realtime_close_with_work_in_flight_leaves_loop_empty(void **state)
{
    (void)state;
    enum { SLEEPERS = 6 }; /* more than the pool's 4 threads: some stay queued */
    chunksim_work_t sleepers[SLEEPERS];
    chunksim_work_t running;
    chunksim_event_t trigger, pending;

    assert_int_equal(uv_sem_init(&fx.started, 0), 0);
    assert_int_equal(uv_sem_init(&fx.release, 0), 0);
    /* The trigger first: it runs before the completion due at the same time. */
    assert_int_equal(chunksim_sched_at(&fx.sched, &trigger, 0, close_while_running_cb, NULL), 0);
    assert_int_equal(
        chunksim_sched_work(&fx.sched, &running, 0, blocking_work_fn, work_done_record), 0);
    for (int i = 0; i < SLEEPERS; i++) {
        assert_int_equal(
            chunksim_sched_work(&fx.sched, &sleepers[i], HOUR_US, work_fn_record, work_done_record),
            0);
    }
    schedule(&pending, HOUR_US, 9);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);

    assert_int_equal(fx.close_calls, 1);
    assert_int_equal(fx.work_fn_calls, 1); /* only the blocking one ran */
    assert_int_equal(fx.done_calls, 0);    /* and its done_cb was dropped */
    assert_int_equal(fx.count, 0);
    assert_int_equal(uv_loop_close(&fx.loop), 0);
    uv_sem_destroy(&fx.started);
    uv_sem_destroy(&fx.release);
}

static void test_realtime_limit_ends_an_endless_run(void **state)
{
    (void)state;
    chunksim_event_t ev;

    const uint64_t limit_us = 5500;

    uint64_t t0_ns = uv_hrtime();
    fixture_open(CHUNKSIM_SCHED_REALTIME, 1.0);
    assert_int_equal(chunksim_sched_at(&fx.sched, &ev, 0, endless_cb, NULL), 0);
    chunksim_sched_set_limit(&fx.sched, limit_us, on_limit);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    uint64_t real_ns = uv_hrtime() - t0_ns;
    assert_true(chunksim_sched_limit_reached(&fx.sched));
    assert_int_equal(fx.limit_calls, 1);
    /* The same events as in virtual time, however late the host ran them
     * (0, 1000, ..., 5000); the clock stays at the last one, and the limit
     * is reported once the wall clock has reached it. */
    assert_int_equal(fx.count, 6);
    assert_int_equal(fx.records[5].time_us, 5000);
    assert_int_equal(chunksim_sched_now_us(&fx.sched), 5000);
    assert_ge(real_ns, limit_us * 1000);
    assert_int_equal(chunksim_sched_pending_count(&fx.sched), 1);
    assert_int_equal(ev.time_us, 6000);
    fixture_close();
}

static void test_realtime_cancel_after_the_limit_does_not_restart(void **state)
{
    (void)state;
    chunksim_event_t first, second;

    chunksim_sched_set_limit(&fx.sched, chunksim_sched_now_us(&fx.sched) + 1000, on_limit);
    schedule(&first, 50000, 0);
    schedule(&second, 60000, 1);
    assert_int_equal(uv_run(&fx.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(fx.limit_calls, 1);
    /* Removing the head re-arms the timer only while the run may go on. */
    assert_int_equal(chunksim_sched_cancel(&fx.sched, &first), 0);
    assert_false(uv_loop_alive(&fx.loop));
    assert_int_equal(fx.count, 0);
    fixture_close();
}

static void test_realtime_huge_scaled_delay_waits_instead_of_overflowing(void **state)
{
    (void)state;
    chunksim_event_t ev;

    /* UINT64_MAX us * 1e10 is far beyond what uv_timer's uint64 ms holds. */
    fixture_open(CHUNKSIM_SCHED_REALTIME, 1e10);
    schedule(&ev, UINT64_MAX, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_not_equal(uv_run(&fx.loop, UV_RUN_NOWAIT), 0);
    }
    assert_int_equal(fx.count, 0);
    assert_true(chunksim_sched_is_pending(&fx.sched, &ev));
    fixture_close();
}

/*
 * Most cases start on a fresh scheduler of their mode at scale 1 and end in fixture_close().
 * The others open it themselves (the wall clock read before it, another scale) or close it
 * themselves: events still pending at the end live on the case's stack, and closing the
 * loop some other way is what they test.
 */
#define VIRTUAL(f)  cmocka_unit_test_setup_teardown(f, setup_virtual, teardown)
#define REALTIME(f) cmocka_unit_test_setup_teardown(f, setup_realtime, teardown)
CHUNKSIM_TEST_MAIN({
    VIRTUAL(test_virtual_events_run_in_time_order_and_clock_follows),
    VIRTUAL(test_virtual_callback_never_runs_inline),
    VIRTUAL(test_virtual_equal_times_run_in_scheduling_order),
    cmocka_unit_test(test_virtual_seeded_colliding_times_run_identically_twice),
    VIRTUAL(test_virtual_cancel_prevents_callback),
    VIRTUAL(test_virtual_cancelling_the_last_event_releases_the_loop),
    VIRTUAL(test_virtual_at_rejects_pending_event_and_missing_callback),
    VIRTUAL(test_virtual_delay_saturates_instead_of_wrapping),
    VIRTUAL(test_virtual_heap_survives_growth_and_random_cancels),
    VIRTUAL(test_virtual_work_runs_work_fn_then_done_after_duration),
    VIRTUAL(test_virtual_work_cancel_runs_nothing),
    cmocka_unit_test_setup(test_limit_ends_an_endless_run_and_reports_it, setup_virtual),
    cmocka_unit_test_setup(test_scheduling_after_the_limit_runs_nothing, setup_virtual),
    cmocka_unit_test_setup(test_close_drops_everything_and_leaves_loop_empty, setup_virtual),
    cmocka_unit_test_setup(test_close_from_inside_a_callback_stops_the_rest, setup_virtual),
    cmocka_unit_test(test_init_rejects_bad_config),
    cmocka_unit_test_teardown(test_realtime_events_run_in_order_and_never_early, teardown),
    REALTIME(test_realtime_cancel_rearms_for_the_next_event),
    cmocka_unit_test_teardown(test_realtime_scale_shrinks_real_delays_not_model_time, teardown),
    REALTIME(test_realtime_sub_millisecond_delays_are_not_rounded_up),
    REALTIME(test_realtime_host_latency_does_not_enter_the_model_clock),
    REALTIME(test_realtime_work_completes_in_virtual_order_at_its_due_time),
    REALTIME(test_realtime_work_sleeps_on_the_pool_and_completes_on_the_loop),
    REALTIME(test_realtime_work_cancel_wakes_a_sleeping_worker),
    REALTIME(test_realtime_cancelled_work_can_be_freed_at_once),
    REALTIME(test_realtime_work_cancel_is_refused_once_work_fn_runs),
    cmocka_unit_test_setup(test_realtime_close_with_work_in_flight_leaves_loop_empty,
                           setup_realtime),
    cmocka_unit_test(test_realtime_limit_ends_an_endless_run),
    cmocka_unit_test_setup(test_realtime_cancel_after_the_limit_does_not_restart, setup_realtime),
    cmocka_unit_test(test_realtime_huge_scaled_delay_waits_instead_of_overflowing),
})
#undef VIRTUAL
#undef REALTIME
