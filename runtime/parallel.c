/* dlc runtime: the thread pool that runs a model's parallel loops.
 *
 * One pool per model library, started on first use. dlc_parallel_for splits
 * [0, count) into one contiguous chunk per thread; the calling thread runs
 * the first chunk and waits for the others. Between loops a worker spins
 * for a while (a model's next parallel loop usually follows within
 * microseconds, and waking a sleeping thread costs tens of them), then
 * sleeps on a condition variable; the caller waits for the others the same
 * way. When the library is unloaded (dlclose, or the
 * process exits) a destructor stops and joins the workers, so that no thread
 * is left running code that is about to be unmapped. Plain C11 with POSIX
 * threads (in libc on glibc 2.34 and later).
 */
#define _GNU_SOURCE
#include "dlc/runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define DLC_MAX_THREADS 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work_done = PTHREAD_COND_INITIALIZER;
/* Serializes callers: one parallel loop at a time uses the pool. */
static pthread_mutex_t caller = PTHREAD_MUTEX_INITIALIZER;

static int32_t requested = 0; /* 0: all online cores */
static int32_t started = 0;   /* worker threads running (threads - 1) */
static pthread_t workers[DLC_MAX_THREADS];
static uint64_t first_generation[DLC_MAX_THREADS];
/* Written under `lock`; read without it only while spinning. */
static atomic_int stopping = 0;
static _Atomic uint64_t generation = 0;
static atomic_int pending = 0;

/* About 50-100 microseconds of polling before sleeping. */
#define DLC_SPIN_ROUNDS 20000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static dlc_task_fn task;
static void *task_context;
static int64_t task_count;
static int32_t task_threads;

static int32_t online_cores(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores < 1 ? 1 : (cores > DLC_MAX_THREADS ? DLC_MAX_THREADS : cores);
}

void dlc_set_num_threads(int32_t threads) {
  pthread_mutex_lock(&caller);
  requested = threads < 0 ? 0 : threads;
  pthread_mutex_unlock(&caller);
}

int32_t dlc_get_num_threads(void) {
  int32_t threads = requested > 0 ? requested : online_cores();
  return threads > DLC_MAX_THREADS ? DLC_MAX_THREADS : threads;
}

static void run_chunk(int32_t index) {
  int64_t begin = task_count * index / task_threads;
  int64_t end = task_count * (index + 1) / task_threads;
  if (begin < end)
    task(task_context, begin, end);
}

static void *worker(void *argument) {
  int32_t index = (int32_t)(intptr_t)argument;
  /* Loops published before this thread existed are not its business. */
  uint64_t seen = first_generation[index];
  for (;;) {
    for (int round = 0;
         round < DLC_SPIN_ROUNDS &&
         atomic_load_explicit(&generation, memory_order_acquire) == seen &&
         !atomic_load_explicit(&stopping, memory_order_relaxed);
         ++round)
      cpu_relax();
    pthread_mutex_lock(&lock);
    while (generation == seen && !stopping)
      pthread_cond_wait(&work_ready, &lock);
    if (stopping) {
      pthread_mutex_unlock(&lock);
      return NULL;
    }
    seen = generation;
    int run = index < task_threads;
    pthread_mutex_unlock(&lock);
    if (run)
      run_chunk(index);
    pthread_mutex_lock(&lock);
    if (run && --pending == 0)
      pthread_cond_signal(&work_done);
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

/* Starts workers up to `threads - 1`; returns how many threads can run.
   Called with `caller` held, so no loop is being published meanwhile. */
static int32_t ensure_workers(int32_t threads) {
  while (started < threads - 1) {
    int32_t index = started + 1;
    pthread_mutex_lock(&lock);
    first_generation[index] = generation;
    pthread_mutex_unlock(&lock);
    if (pthread_create(&workers[index], NULL, worker,
                       (void *)(intptr_t)index) != 0)
      break; /* run with the threads there are */
    ++started;
  }
  return started + 1 < threads ? started + 1 : threads;
}

/* Runs when the library is unloaded or the process exits. */
__attribute__((destructor)) static void stop_workers(void) {
  pthread_mutex_lock(&lock);
  stopping = 1;
  pthread_cond_broadcast(&work_ready);
  pthread_mutex_unlock(&lock);
  for (int32_t index = 1; index <= started; ++index)
    pthread_join(workers[index], NULL);
  started = 0;
}

void dlc_parallel_for(int64_t count, dlc_task_fn fn, void *context) {
  if (count <= 0)
    return;
  int32_t threads = dlc_get_num_threads();
  if (threads > count)
    threads = (int32_t)count;
  if (threads <= 1) {
    fn(context, 0, count);
    return;
  }
  pthread_mutex_lock(&caller);
  threads = ensure_workers(threads);
  pthread_mutex_lock(&lock);
  task = fn;
  task_context = context;
  task_count = count;
  task_threads = threads;
  pending = threads - 1;
  ++generation;
  pthread_cond_broadcast(&work_ready);
  pthread_mutex_unlock(&lock);
  run_chunk(0);
  for (int round = 0; round < DLC_SPIN_ROUNDS &&
                      atomic_load_explicit(&pending, memory_order_acquire) > 0;
       ++round)
    cpu_relax();
  pthread_mutex_lock(&lock);
  while (pending > 0)
    pthread_cond_wait(&work_done, &lock);
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&caller);
}
