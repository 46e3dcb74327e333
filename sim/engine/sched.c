#include "chunksim/sched.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_US             UINT64_C(1000)
#define NS_PER_S              UINT64_C(1000000000)
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
    chunksim_work_t *user;         /* guarded; NULL once cancelled or dropped by close */
    enum rt_state state;           /* guarded */
    uint64_t deadline_ns;          /* CLOCK_MONOTONIC: when the operation is over */
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
        return -ENOMEM;
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
    return sched->now_us;
}

/* The timerfd's clock; uv_hrtime() reads the same one on Linux, but the
 * deadlines must be on the timer's clock by construction, not by luck. */
static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* When model time time_us falls on the wall clock. Rounded up: an event may
 * run late, never early. */
static uint64_t realtime_deadline_ns(const chunksim_sched_t *sched, uint64_t time_us)
{
    if (sched->realtime_scale == 1.0) {
        uint64_t ns = time_us > UINT64_MAX / NS_PER_US ? UINT64_MAX : time_us * NS_PER_US;
        return saturating_add(sched->start_ns, ns);
    }
    double ns = ceil((double)time_us * (double)NS_PER_US * sched->realtime_scale);
    return saturating_add(sched->start_ns, double_to_u64(ns));
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
        uv_poll_stop(&sched->handle.poll);
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
    sched->now_us = ev->time_us;
    sched->events_run++;
    /* Last: the callback may reschedule or free ev, or close sched. */
    ev->cb(ev);
}

/*
 * Events run per idle callback in virtual time. Each callback is one turn of
 * libuv's loop, and each turn polls for I/O (an epoll_wait system call):
 * at one event per turn, those calls took most of a BLE drain's wall time.
 * Nothing else on a virtual run's loop needs the turns in between.
 */
#define SCHED_VIRTUAL_BATCH 1024

static void virtual_idle_cb(uv_idle_t *idle)
{
    chunksim_sched_t *sched = CONTAINER_OF(idle, chunksim_sched_t, handle.idle);

    /* Active only while the heap holds events: scheduling starts the
     * handle, and whatever empties the heap stops it. An event's callback
     * may close sched: then nothing more runs. */
    for (unsigned n = 0; n < SCHED_VIRTUAL_BATCH; n++) {
        if (sched->closing || sched->heap_len == 0) {
            break;
        }
        if (sched->heap[0]->time_us > sched->limit_us) {
            sched_hit_limit(sched);
            return;
        }
        sched_run_head(sched);
    }
    if (sched->heap_len == 0) {
        /* Inactive, the handle no longer keeps uv_run() going. */
        sched_stop_handle(sched);
    }
}

static void work_event_cb(chunksim_event_t *ev);

/* A work completion whose work_fn has not finished on the pool yet: the
 * heap waits for it, so that completions run in the order VIRTUAL runs
 * them even when a pool thread is late. */
static bool realtime_event_blocked(const chunksim_event_t *ev)
{
    if (ev->cb != work_event_cb) {
        return false;
    }
    const chunksim_work_t *w = ev->data;
    return w->rt != NULL;
}

/* Cannot fail: the fd is ours, the flags are valid and the value is
 * clamped into what the kernel takes. */
static void realtime_timer_set(chunksim_sched_t *sched, uint64_t deadline_ns)
{
    /* 146 years of uptime: beyond any run. An all-zero it_value would
     * disarm the timer instead of firing it. */
    const uint64_t max_ns = UINT64_C(1) << 62;
    uint64_t ns = deadline_ns > max_ns ? max_ns : deadline_ns == 0 ? 1 : deadline_ns;
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S)},
    };
    (void)timerfd_settime(sched->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void realtime_poll_cb(uv_poll_t *poll, int status, int events);

/*
 * Arms the timer for the earliest deadline, or for the limit when the
 * earliest event lies beyond it. A blocked head arms nothing: the pool's
 * after_work arms again. The poll handle is active exactly while the timer
 * is armed, so an empty heap lets uv_run() return.
 */
static void realtime_arm(chunksim_sched_t *sched)
{
    if (sched->closing || sched->limit_reached) {
        return;
    }
    const chunksim_event_t *head = sched->heap_len > 0 ? sched->heap[0] : NULL;
    bool beyond_limit = head != NULL && head->time_us > sched->limit_us;
    if (head == NULL || (!beyond_limit && realtime_event_blocked(head))) {
        uv_poll_stop(&sched->handle.poll);
        return;
    }
    uint64_t target_us = beyond_limit ? sched->limit_us : head->time_us;
    realtime_timer_set(sched, realtime_deadline_ns(sched, target_us));
    uv_poll_start(&sched->handle.poll, UV_READABLE, realtime_poll_cb);
}

/* One event per wake-up, as VIRTUAL runs one per loop turn: other handles
 * on the loop get their turn between events. */
static void realtime_poll_cb(uv_poll_t *poll, int status, int events)
{
    chunksim_sched_t *sched = CONTAINER_OF(poll, chunksim_sched_t, handle.poll);
    uint64_t expirations;

    (void)status;
    (void)events;
    /* Drains the readiness; EAGAIN after a re-arm is harmless. */
    (void)read(sched->timer_fd, &expirations, sizeof(expirations));
    if (sched->heap_len == 0) {
        realtime_arm(sched);
        return;
    }
    const chunksim_event_t *head = sched->heap[0];
    uint64_t now_ns = monotonic_ns();
    if (head->time_us > sched->limit_us) {
        if (now_ns >= realtime_deadline_ns(sched, sched->limit_us)) {
            sched_hit_limit(sched);
            return;
        }
    } else if (!realtime_event_blocked(head) &&
               now_ns >= realtime_deadline_ns(sched, head->time_us)) {
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
    chunksim_sched_mode_t mode = config != NULL ? config->mode : CHUNKSIM_SCHED_VIRTUAL;
    double scale = config != NULL ? config->realtime_scale : 1.0;

    if (mode != CHUNKSIM_SCHED_VIRTUAL && mode != CHUNKSIM_SCHED_REALTIME) {
        return CHUNKSIM_E_INVAL;
    }
    if (scale == 0.0) {
        scale = 1.0;
    }
    if (!(scale > 0.0) || isinf(scale)) {
        return CHUNKSIM_E_INVAL;
    }

    *sched = (chunksim_sched_t){
        .loop = loop,
        .mode = mode,
        .realtime_scale = scale,
        .limit_us = UINT64_MAX,
        .timer_fd = -1,
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
    sched->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    rc = sched->timer_fd < 0 ? -errno : uv_poll_init(loop, &sched->handle.poll, sched->timer_fd);
    if (rc != 0) {
        if (sched->timer_fd >= 0) {
            (void)close(sched->timer_fd);
        }
        uv_cond_destroy(&sched->rt_cond);
        uv_mutex_destroy(&sched->rt_mutex);
        return rc;
    }
    sched->start_ns = monotonic_ns();
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
        return CHUNKSIM_E_INVAL;
    }
    if (chunksim_sched_is_pending(sched, ev)) {
        return CHUNKSIM_E_BUSY;
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
        return CHUNKSIM_E_NOENT;
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

/* ---- work ---- */

/* The completion, in both modes an event at start + duration. In REALTIME
 * work_fn has run on the pool before the heap lets this run. */
static void work_event_cb(chunksim_event_t *ev)
{
    chunksim_work_t *w = ev->data;

    if (w->sched->mode == CHUNKSIM_SCHED_VIRTUAL && w->work_fn != NULL) {
        w->work_fn(w);
    }
    w->done_cb(w);
}

static void realtime_work_run(uv_work_t *req)
{
    struct chunksim_rt_work *rw = CONTAINER_OF(req, struct chunksim_rt_work, req);
    chunksim_sched_t *sched = rw->sched;

    uv_mutex_lock(&sched->rt_mutex);
    rw->state = RT_SLEEPING;
    /* A timed wait rather than a plain sleep so that cancel and close can
     * wake it: an erase may be modelled for minutes. Until the absolute
     * deadline, so time spent queued for a pool thread is not added. */
    for (;;) {
        if (rw->user == NULL) {
            uv_mutex_unlock(&sched->rt_mutex);
            return;
        }
        uint64_t now_ns = monotonic_ns();
        if (now_ns >= rw->deadline_ns) {
            break;
        }
        (void)uv_cond_timedwait(&sched->rt_cond, &sched->rt_mutex, rw->deadline_ns - now_ns);
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
        /* work_fn is done: the completion event may run when due. */
        w->rt = NULL;
        realtime_arm(sched);
    }
    if (sched->closing) {
        realtime_finish_close(sched);
    }
}

static int realtime_work_start(chunksim_sched_t *sched, chunksim_work_t *w)
{
    struct chunksim_rt_work *rw = calloc(1, sizeof(*rw));
    if (rw == NULL) {
        return -ENOMEM;
    }
    rw->sched = sched;
    rw->user = w;
    rw->state = RT_QUEUED;
    /* Set before the completion goes into the heap, which must see it
     * blocked from the start. */
    w->rt = rw;
    int rc = chunksim_sched_at(sched, &w->ev, w->duration_us, work_event_cb, w);
    if (rc == 0) {
        rw->deadline_ns = realtime_deadline_ns(sched, w->ev.time_us);
        rc = uv_queue_work(sched->loop, &rw->req, realtime_work_run, realtime_work_after);
        if (rc != 0) {
            w->rt = NULL;
            (void)chunksim_sched_cancel(sched, &w->ev);
        }
    }
    if (rc != 0) {
        w->rt = NULL;
        free(rw);
        return rc;
    }
    rw->next = sched->rt_works;
    if (rw->next != NULL) {
        rw->next->prev = rw;
    }
    sched->rt_works = rw;
    sched->rt_in_flight++;
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

int chunksim_sched_work(chunksim_sched_t *sched, chunksim_work_t *w, uint64_t duration_us,
                        chunksim_work_fn work_fn, chunksim_work_cb done_cb)
{
    if (done_cb == NULL || sched->closing) {
        return CHUNKSIM_E_INVAL;
    }
    /* The heap, not w's fields, says whether w is in flight: a request that
     * was never started may hold garbage. */
    if (chunksim_sched_is_pending(sched, &w->ev)) {
        return CHUNKSIM_E_BUSY;
    }
    w->sched = sched;
    w->duration_us = duration_us;
    w->work_fn = work_fn;
    w->done_cb = done_cb;
    w->rt = NULL;
    if (sched->mode == CHUNKSIM_SCHED_VIRTUAL) {
        return chunksim_sched_at(sched, &w->ev, duration_us, work_event_cb, w);
    }
    return realtime_work_start(sched, w);
}

int chunksim_sched_work_cancel(chunksim_sched_t *sched, chunksim_work_t *w)
{
    if (!chunksim_sched_is_pending(sched, &w->ev)) {
        return CHUNKSIM_E_NOENT;
    }
    if (sched->mode == CHUNKSIM_SCHED_REALTIME &&
        (w->rt == NULL || !realtime_work_detach(sched, w->rt))) {
        return CHUNKSIM_E_BUSY; /* work_fn runs or ran: its done_cb follows */
    }
    return chunksim_sched_cancel(sched, &w->ev);
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
        /* Only now: libuv must stop watching an fd before it is closed. */
        (void)close(sched->timer_fd);
        sched->timer_fd = -1;
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
