#include "chunksim/sched.h"

#include <math.h>
#include <stdlib.h>

#define NS_PER_US             UINT64_C(1000)
#define US_PER_MS             1000.0
#define HEAP_INITIAL_CAP      64
#define HEAP_INDEX_NONE       SIZE_MAX
#define CONTAINER_OF(p, T, m) ((T *)((char *)(p)-offsetof(T, m)))

/* A REALTIME work request's life on the pool. Only the owning worker moves
 * it forward; the loop reads it to decide whether cancelling is still
 * possible. Guarded by sched->rt_mutex. */
enum rt_state {
    RT_QUEUED,   /* waiting for a pool thread */
    RT_SLEEPING, /* modelling the operation's duration */
    RT_RUNNING,  /* work_fn running or done: too late to cancel */
};

/*
 * Allocated per REALTIME request rather than embedded in chunksim_work_t:
 * libuv owns the uv_work_t until after_work has run, which may be well after
 * the caller cancelled; detaching the caller's struct (user = NULL) lets the
 * caller free it at once while this one waits for libuv.
 */
struct chunksim_rt_work {
    uv_work_t req;
    chunksim_sched_t *sched;
    chunksim_work_t *user; /* guarded; NULL once cancelled or dropped by close */
    enum rt_state state;   /* guarded */
    uint64_t sleep_ns;
    struct chunksim_rt_work *prev; /* loop thread only */
    struct chunksim_rt_work *next;
};

/* ---- heap ordered by (time_us, seq) ---- */

static bool event_before(const chunksim_event_t *a, const chunksim_event_t *b)
{
    if (a->time_us != b->time_us) {
        return a->time_us < b->time_us;
    }
    return a->seq < b->seq;
}

static void heap_place(chunksim_sched_t *sched, size_t i, chunksim_event_t *ev)
{
    sched->heap[i] = ev;
    ev->heap_index = i;
}

static void heap_sift_up(chunksim_sched_t *sched, size_t i)
{
    chunksim_event_t *ev = sched->heap[i];

    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!event_before(ev, sched->heap[parent])) {
            break;
        }
        heap_place(sched, i, sched->heap[parent]);
        i = parent;
    }
    heap_place(sched, i, ev);
}

static void heap_sift_down(chunksim_sched_t *sched, size_t i)
{
    chunksim_event_t *ev = sched->heap[i];

    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= sched->heap_len) {
            break;
        }
        if (child + 1 < sched->heap_len &&
            event_before(sched->heap[child + 1], sched->heap[child])) {
            child++;
        }
        if (!event_before(sched->heap[child], ev)) {
            break;
        }
        heap_place(sched, i, sched->heap[child]);
        i = child;
    }
    heap_place(sched, i, ev);
}

static int heap_reserve(chunksim_sched_t *sched)
{
    if (sched->heap_len < sched->heap_cap) {
        return 0;
    }
    size_t cap = sched->heap_cap == 0 ? HEAP_INITIAL_CAP : sched->heap_cap * 2;
    chunksim_event_t **heap = realloc(sched->heap, cap * sizeof(*heap));
    if (heap == NULL) {
        return UV_ENOMEM;
    }
    sched->heap = heap;
    sched->heap_cap = cap;
    return 0;
}

static void heap_push(chunksim_sched_t *sched, chunksim_event_t *ev)
{
    sched->heap[sched->heap_len] = ev;
    ev->heap_index = sched->heap_len;
    sched->heap_len++;
    heap_sift_up(sched, ev->heap_index);
}

static void heap_remove(chunksim_sched_t *sched, chunksim_event_t *ev)
{
    size_t i = ev->heap_index;
    chunksim_event_t *last = sched->heap[--sched->heap_len];

    ev->heap_index = HEAP_INDEX_NONE;
    if (last == ev) {
        return;
    }
    heap_place(sched, i, last);
    heap_sift_down(sched, i);
    heap_sift_up(sched, last->heap_index);
}

/* ---- clock ---- */

static uint64_t saturating_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t double_to_u64(double x)
{
    /* Converting a double beyond UINT64_MAX is undefined behaviour. */
    if (!(x > 0.0)) {
        return 0;
    }
    return x >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)x;
}

uint64_t chunksim_sched_now_us(const chunksim_sched_t *sched)
{
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL) {
        return sched->virtual_now_us;
    }
    uint64_t elapsed_ns = uv_hrtime() - sched->start_ns;
    if (sched->realtime_scale == 1.0) {
        return elapsed_ns / NS_PER_US;
    }
    return double_to_u64((double)elapsed_ns / (double)NS_PER_US / sched->realtime_scale);
}

/* ---- running events ---- */

static void sched_stop_handle(chunksim_sched_t *sched)
{
    if (sched->closing) {
        return;
    }
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL) {
        uv_idle_stop(&sched->handle.idle);
    } else {
        uv_timer_stop(&sched->handle.timer);
    }
}

static void sched_hit_limit(chunksim_sched_t *sched)
{
    sched->limit_reached = true;
    sched_stop_handle(sched);
    if (sched->limit_cb != NULL) {
        sched->limit_cb(sched);
    }
}

static void sched_run_head(chunksim_sched_t *sched)
{
    chunksim_event_t *ev = sched->heap[0];

    heap_remove(sched, ev);
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL) {
        sched->virtual_now_us = ev->time_us;
    }
    sched->events_run++;
    /* Last: the callback may reschedule or free ev, or close sched. */
    ev->cb(ev);
}

static void virtual_idle_cb(uv_idle_t *idle)
{
    chunksim_sched_t *sched = CONTAINER_OF(idle, chunksim_sched_t, handle.idle);

    /* Active only while the heap holds events: scheduling starts the
     * handle, and whatever empties the heap stops it. */
    if (sched->heap[0]->time_us > sched->limit_us) {
        sched_hit_limit(sched);
        return;
    }
    sched_run_head(sched);
    if (sched->heap_len == 0) {
        /* Inactive, the handle no longer keeps uv_run() going. */
        sched_stop_handle(sched);
    }
}

static void realtime_timer_cb(uv_timer_t *timer);

/* Arms the one timer for the earliest deadline, or for the limit when the
 * earliest event lies beyond it. */
static void realtime_arm(chunksim_sched_t *sched)
{
    if (sched->closing || sched->limit_reached) {
        return;
    }
    if (sched->heap_len == 0) {
        uv_timer_stop(&sched->handle.timer);
        return;
    }
    uint64_t target_us = sched->heap[0]->time_us;
    if (target_us > sched->limit_us) {
        target_us = sched->limit_us;
    }
    uint64_t now_us = chunksim_sched_now_us(sched);
    uint64_t wait_us = target_us > now_us ? target_us - now_us : 0;
    /* Rounded up: a timer may fire late, never early. */
    uint64_t wait_ms = double_to_u64(ceil((double)wait_us * sched->realtime_scale / US_PER_MS));
    /* uv_timer counts from the loop's cached time; refresh it so a stale
     * cache does not make the timer fire early and spin. */
    uv_update_time(sched->loop);
    uv_timer_start(&sched->handle.timer, realtime_timer_cb, wait_ms, 0);
}

static void realtime_timer_cb(uv_timer_t *timer)
{
    chunksim_sched_t *sched = CONTAINER_OF(timer, chunksim_sched_t, handle.timer);
    /* Armed only while the heap holds events (see realtime_arm, cancel). */
    uint64_t now_us = chunksim_sched_now_us(sched);
    const chunksim_event_t *head = sched->heap[0];
    if (head->time_us > sched->limit_us && now_us >= sched->limit_us) {
        sched_hit_limit(sched);
        return;
    }
    if (head->time_us <= now_us) {
        sched_run_head(sched);
    }
    realtime_arm(sched);
}

/* Makes the handle run the heap again after it changed. */
static void sched_kick(chunksim_sched_t *sched)
{
    if (sched->closing || sched->limit_reached || sched->heap_len == 0) {
        return;
    }
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL) {
        uv_idle_start(&sched->handle.idle, virtual_idle_cb);
    } else {
        realtime_arm(sched);
    }
}

/* ---- public: setup and events ---- */

int chunksim_sched_init(chunksim_sched_t *sched, uv_loop_t *loop,
                        const chunksim_sched_config_t *config)
{
    chunksim_sched_mode mode = config != NULL ? config->mode : CHUNKSIM_SCHED_VIRTUAL;
    double scale = config != NULL ? config->realtime_scale : 1.0;

    if (mode != CHUNKSIM_SCHED_VIRTUAL && mode != CHUNKSIM_SCHED_REALTIME) {
        return UV_EINVAL;
    }
    if (scale == 0.0) {
        scale = 1.0;
    }
    if (!(scale > 0.0) || isinf(scale)) {
        return UV_EINVAL;
    }

    *sched = (chunksim_sched_t){
        .loop = loop,
        .mode = mode,
        .realtime_scale = scale,
        .limit_us = UINT64_MAX,
    };
    if (mode == CHUNKSIM_SCHED_VIRTUAL) {
        return uv_idle_init(loop, &sched->handle.idle);
    }
    int rc = uv_mutex_init(&sched->rt_mutex);
    if (rc != 0) {
        return rc;
    }
    rc = uv_cond_init(&sched->rt_cond);
    if (rc != 0) {
        uv_mutex_destroy(&sched->rt_mutex);
        return rc;
    }
    rc = uv_timer_init(loop, &sched->handle.timer);
    if (rc != 0) {
        uv_cond_destroy(&sched->rt_cond);
        uv_mutex_destroy(&sched->rt_mutex);
        return rc;
    }
    sched->start_ns = uv_hrtime();
    return 0;
}

bool chunksim_sched_is_pending(const chunksim_sched_t *sched, const chunksim_event_t *ev)
{
    /* Checked against the heap itself rather than trusting ev's fields, so
     * a never-scheduled event with garbage in them reads as not pending. */
    return ev->sched == sched && ev->heap_index < sched->heap_len &&
           sched->heap[ev->heap_index] == ev;
}

int chunksim_sched_at(chunksim_sched_t *sched, chunksim_event_t *ev, uint64_t delay_us,
                      chunksim_event_cb cb, void *data)
{
    if (cb == NULL || sched->closing) {
        return UV_EINVAL;
    }
    if (chunksim_sched_is_pending(sched, ev)) {
        return UV_EBUSY;
    }
    int rc = heap_reserve(sched);
    if (rc != 0) {
        return rc;
    }
    ev->data = data;
    ev->sched = sched;
    ev->cb = cb;
    ev->time_us = saturating_add(chunksim_sched_now_us(sched), delay_us);
    ev->seq = sched->next_seq++;
    heap_push(sched, ev);
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL || ev->heap_index == 0) {
        sched_kick(sched);
    }
    return 0;
}

int chunksim_sched_cancel(chunksim_sched_t *sched, chunksim_event_t *ev)
{
    if (!chunksim_sched_is_pending(sched, ev)) {
        return UV_ENOENT;
    }
    bool was_head = ev->heap_index == 0;
    heap_remove(sched, ev);
    if (sched->heap_len == 0) {
        sched_stop_handle(sched);
    } else if (was_head && sched->mode == CHUNKSIM_SCHED_REALTIME) {
        realtime_arm(sched);
    }
    return 0;
}

void chunksim_sched_set_limit(chunksim_sched_t *sched, uint64_t max_us, chunksim_sched_cb limit_cb)
{
    sched->limit_us = max_us;
    sched->limit_cb = limit_cb;
    /* A raised limit lets a stopped run go on. */
    sched->limit_reached = false;
    sched_kick(sched);
}

bool chunksim_sched_limit_reached(const chunksim_sched_t *sched)
{
    return sched->limit_reached;
}

size_t chunksim_sched_pending_count(const chunksim_sched_t *sched)
{
    return sched->heap_len;
}

uint64_t chunksim_sched_events_run(const chunksim_sched_t *sched)
{
    return sched->events_run;
}

/* ---- work: VIRTUAL ---- */

static void virtual_work_event_cb(chunksim_event_t *ev)
{
    chunksim_work_t *w = ev->data;

    if (w->work_fn != NULL) {
        w->work_fn(w);
    }
    w->done_cb(w);
}

/* ---- work: REALTIME ---- */

static void realtime_work_run(uv_work_t *req)
{
    struct chunksim_rt_work *rw = CONTAINER_OF(req, struct chunksim_rt_work, req);
    chunksim_sched_t *sched = rw->sched;
    uint64_t deadline_ns = uv_hrtime() + rw->sleep_ns;

    uv_mutex_lock(&sched->rt_mutex);
    rw->state = RT_SLEEPING;
    /* A timed wait rather than a plain sleep so that cancel and close can
     * wake it: an erase may be modelled for minutes. */
    for (;;) {
        if (rw->user == NULL) {
            uv_mutex_unlock(&sched->rt_mutex);
            return;
        }
        uint64_t now_ns = uv_hrtime();
        if (now_ns >= deadline_ns) {
            break;
        }
        (void)uv_cond_timedwait(&sched->rt_cond, &sched->rt_mutex, deadline_ns - now_ns);
    }
    rw->state = RT_RUNNING;
    chunksim_work_t *w = rw->user;
    uv_mutex_unlock(&sched->rt_mutex);

    if (w->work_fn != NULL) {
        w->work_fn(w);
    }
}

static void realtime_finish_close(chunksim_sched_t *sched);

static void realtime_work_after(uv_work_t *req, int status)
{
    struct chunksim_rt_work *rw = CONTAINER_OF(req, struct chunksim_rt_work, req);
    chunksim_sched_t *sched = rw->sched;

    (void)status; /* UV_ECANCELED only for requests already detached */
    if (rw->prev != NULL) {
        rw->prev->next = rw->next;
    } else {
        sched->rt_works = rw->next;
    }
    if (rw->next != NULL) {
        rw->next->prev = rw->prev;
    }
    sched->rt_in_flight--;

    uv_mutex_lock(&sched->rt_mutex);
    chunksim_work_t *w = rw->user;
    uv_mutex_unlock(&sched->rt_mutex);
    free(rw);

    if (w != NULL) {
        w->rt = NULL;
        if (!sched->closing) {
            w->done_cb(w);
        }
    }
    if (sched->closing) {
        realtime_finish_close(sched);
    }
}

static int realtime_work_start(chunksim_sched_t *sched, chunksim_work_t *w)
{
    struct chunksim_rt_work *rw = calloc(1, sizeof(*rw));
    if (rw == NULL) {
        return UV_ENOMEM;
    }
    rw->sched = sched;
    rw->user = w;
    rw->state = RT_QUEUED;
    rw->sleep_ns =
        double_to_u64((double)w->duration_us * (double)NS_PER_US * sched->realtime_scale);
    int rc = uv_queue_work(sched->loop, &rw->req, realtime_work_run, realtime_work_after);
    if (rc != 0) {
        free(rw);
        return rc;
    }
    rw->next = sched->rt_works;
    if (rw->next != NULL) {
        rw->next->prev = rw;
    }
    sched->rt_works = rw;
    sched->rt_in_flight++;
    w->rt = rw;
    return 0;
}

/* Detaches rw from its caller unless work_fn already runs; true if done. */
static bool realtime_work_detach(chunksim_sched_t *sched, struct chunksim_rt_work *rw)
{
    uv_mutex_lock(&sched->rt_mutex);
    if (rw->user == NULL) { /* cancelled earlier, waiting for libuv */
        uv_mutex_unlock(&sched->rt_mutex);
        return true;
    }
    bool detached = rw->state != RT_RUNNING;
    if (detached) {
        rw->user->rt = NULL;
        rw->user = NULL;
        uv_cond_broadcast(&sched->rt_cond);
    }
    uv_mutex_unlock(&sched->rt_mutex);
    if (detached) {
        /* Fails harmlessly once a pool thread has picked it up; the woken
         * worker then returns without running work_fn. */
        (void)uv_cancel((uv_req_t *)&rw->req);
    }
    return detached;
}

/* ---- public: work ---- */

static bool work_in_flight(chunksim_sched_t *sched, const chunksim_work_t *w)
{
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL) {
        return chunksim_sched_is_pending(sched, &w->ev);
    }
    /* Looked up in the list rather than trusting w->rt, which holds garbage
     * in a request that was never started (or stale data from an old one). */
    for (struct chunksim_rt_work *rw = sched->rt_works; rw != NULL; rw = rw->next) {
        if (rw == w->rt) {
            uv_mutex_lock(&sched->rt_mutex);
            bool mine = rw->user == w;
            uv_mutex_unlock(&sched->rt_mutex);
            return mine;
        }
    }
    return false;
}

int chunksim_sched_work(chunksim_sched_t *sched, chunksim_work_t *w, uint64_t duration_us,
                        chunksim_work_fn work_fn, chunksim_work_cb done_cb)
{
    if (done_cb == NULL || sched->closing) {
        return UV_EINVAL;
    }
    if (work_in_flight(sched, w)) {
        return UV_EBUSY;
    }
    w->sched = sched;
    w->duration_us = duration_us;
    w->work_fn = work_fn;
    w->done_cb = done_cb;
    w->rt = NULL;
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL) {
        return chunksim_sched_at(sched, &w->ev, duration_us, virtual_work_event_cb, w);
    }
    return realtime_work_start(sched, w);
}

int chunksim_sched_work_cancel(chunksim_sched_t *sched, chunksim_work_t *w)
{
    if (!work_in_flight(sched, w)) {
        return UV_ENOENT;
    }
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL) {
        return chunksim_sched_cancel(sched, &w->ev);
    }
    return realtime_work_detach(sched, w->rt) ? 0 : UV_EBUSY;
}

/* ---- close ---- */

static void realtime_finish_close(chunksim_sched_t *sched)
{
    if (!sched->handle_closed || sched->rt_in_flight != 0) {
        return;
    }
    uv_cond_destroy(&sched->rt_cond);
    uv_mutex_destroy(&sched->rt_mutex);
    if (sched->close_cb != NULL) {
        sched->close_cb(sched);
    }
}

static void sched_handle_closed(uv_handle_t *handle)
{
    chunksim_sched_t *sched = handle->data;

    sched->handle_closed = true;
    if (sched->mode == CHUNKSIM_SCHED_REALTIME) {
        realtime_finish_close(sched);
    } else if (sched->close_cb != NULL) {
        sched->close_cb(sched);
    }
}

void chunksim_sched_close(chunksim_sched_t *sched, chunksim_sched_cb close_cb)
{
    if (sched->closing) {
        return;
    }
    sched->closing = true;
    sched->close_cb = close_cb;

    for (size_t i = 0; i < sched->heap_len; i++) {
        sched->heap[i]->heap_index = HEAP_INDEX_NONE;
    }
    free(sched->heap);
    sched->heap = NULL;
    sched->heap_len = 0;
    sched->heap_cap = 0;

    for (struct chunksim_rt_work *rw = sched->rt_works; rw != NULL; rw = rw->next) {
        (void)realtime_work_detach(sched, rw);
    }

    uv_handle_t *handle = (uv_handle_t *)&sched->handle;
    handle->data = sched;
    uv_close(handle, sched_handle_closed);
}
