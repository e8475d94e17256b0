/*
 * conman_native: the few system calls Node.js does not expose and conman needs.
 * Each function is synchronous and throws an Error with .code = errno name on failure.
 *   mount(source, target, fstype, flags, data)     umount(target, flags)
 *   mknod(path, mode, major, minor)                 lsetxattr(path, name, Buffer)
 *   llistxattr(path) -> string[]                     lgetxattr(path, name) -> Buffer|null
 *   setSubreaper()                                   waitpid(pid, nohang) -> {pid, status, exited, code, signal}|null
 *   netnsCreate(path): a new network namespace with lo up, bind-mounted on the existing file `path`
 *   pipe(size?) -> [readFd, writeFd]: an OS pipe (F_SETPIPE_SZ size, best effort), both ends O_CLOEXEC (spawn's dup2 onto 0/1/2 clears it in the child)
 *   socketpair() -> [fd, fd]: a unix stream socketpair, both ends O_CLOEXEC
 *   spawn(file, argv, env|null, fds, setsid, cwd|null) -> pid: vfork + execvpe; child fd i is fds[i] (-1: /dev/null)
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <signal.h>
#include <pthread.h>
#include <sys/syscall.h>

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, path ? path : "", strerror(err));
  napi_value code, message, error;
  const char *name = NULL;
  switch (err) {
    case EPERM: name = "EPERM"; break;
    case ENOENT: name = "ENOENT"; break;
    case EEXIST: name = "EEXIST"; break;
    case EINVAL: name = "EINVAL"; break;
    case EBUSY: name = "EBUSY"; break;
    case ENOTSUP: name = "ENOTSUP"; break;
    case ENODATA: name = "ENODATA"; break;
    case ECHILD: name = "ECHILD"; break;
    case EACCES: name = "EACCES"; break;
    case ENOTDIR: name = "ENOTDIR"; break;
    case ENOSPC: name = "ENOSPC"; break;
    case ENOEXEC: name = "ENOEXEC"; break;
    case EISDIR: name = "EISDIR"; break;
    default: name = "EUNKNOWN";
  }
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_value errnov;
  napi_create_int32(env, err, &errnov);
  napi_set_named_property(env, error, "errno", errnov);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}

/* Returns a malloc'd string or NULL for null/undefined. */
static char *__attribute__((noinline)) get_str(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_string) return NULL;
  size_t len;
  napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char *s = malloc(len + 1);
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

static int64_t get_int(napi_env env, napi_value v) {
  int64_t r = 0;
  napi_get_value_int64(env, v, &r);
  return r;
}

static napi_value js_mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *src = get_str(env, argv[0]), *tgt = get_str(env, argv[1]), *fs = get_str(env, argv[2]);
  unsigned long flags = (unsigned long)get_int(env, argv[3]);
  char *data = argc > 4 ? get_str(env, argv[4]) : NULL;
  int r = mount(src, tgt, fs, flags, data);
  int err = errno;
  napi_value ret = NULL;
  if (r != 0) throw_errno(env, err, "mount", tgt);
  free(src); free(tgt); free(fs); free(data);
  return ret;
}

static napi_value js_umount(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *tgt = get_str(env, argv[0]);
  int flags = argc > 1 ? (int)get_int(env, argv[1]) : 0;
  int r = umount2(tgt, flags);
  int err = errno;
  if (r != 0) throw_errno(env, err, "umount", tgt);
  free(tgt);
  return NULL;
}

static napi_value js_mknod(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]);
  mode_t mode = (mode_t)get_int(env, argv[1]);
  unsigned int maj = (unsigned int)get_int(env, argv[2]), min = (unsigned int)get_int(env, argv[3]);
  int r = mknod(path, mode, makedev(maj, min));
  int err = errno;
  if (r != 0) throw_errno(env, err, "mknod", path);
  free(path);
  return NULL;
}

static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]), *name = get_str(env, argv[1]);
  void *data = NULL;
  size_t len = 0;
  bool isbuf = false;
  napi_is_buffer(env, argv[2], &isbuf);
  char *strval = NULL;
  if (isbuf) napi_get_buffer_info(env, argv[2], &data, &len);
  else { strval = get_str(env, argv[2]); data = strval; len = strval ? strlen(strval) : 0; }
  int r = lsetxattr(path, name, data, len, 0);
  int err = errno;
  if (r != 0) throw_errno(env, err, "lsetxattr", path);
  free(path); free(name); free(strval);
  return NULL;
}

static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]);
  ssize_t n = llistxattr(path, NULL, 0);
  napi_value arr;
  napi_create_array(env, &arr);
  if (n < 0) {
    int err = errno;
    if (err == ENOTSUP) { free(path); return arr; }
    throw_errno(env, err, "llistxattr", path); free(path); return NULL;
  }
  char *buf = malloc(n + 1);
  n = llistxattr(path, buf, n);
  uint32_t idx = 0;
  for (ssize_t off = 0; n > 0 && off < n; off += strlen(buf + off) + 1) {
    napi_value s;
    napi_create_string_utf8(env, buf + off, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, idx++, s);
  }
  free(buf); free(path);
  return arr;
}

static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = get_str(env, argv[0]), *name = get_str(env, argv[1]);
  ssize_t n = lgetxattr(path, name, NULL, 0);
  napi_value ret;
  if (n < 0) {
    int err = errno;
    if (err == ENODATA || err == ENOTSUP) { napi_get_null(env, &ret); free(path); free(name); return ret; }
    throw_errno(env, err, "lgetxattr", path); free(path); free(name); return NULL;
  }
  void *out;
  napi_create_buffer(env, n, &out, &ret);
  if (n > 0) lgetxattr(path, name, out, n);
  free(path); free(name);
  return ret;
}

static napi_value js_set_subreaper(napi_env env, napi_callback_info info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return throw_errno(env, errno, "prctl", "PR_SET_CHILD_SUBREAPER");
  return NULL;
}

static napi_value js_waitpid(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  pid_t pid = (pid_t)get_int(env, argv[0]);
  bool nohang = true;
  if (argc > 1) napi_get_value_bool(env, argv[1], &nohang);
  int status = 0;
  pid_t r = waitpid(pid, &status, nohang ? WNOHANG : 0);
  napi_value ret;
  if (r < 0) return throw_errno(env, errno, "waitpid", NULL);
  if (r == 0) { napi_get_null(env, &ret); return ret; }
  napi_create_object(env, &ret);
  napi_value v;
  napi_create_int32(env, r, &v); napi_set_named_property(env, ret, "pid", v);
  napi_create_int32(env, WIFEXITED(status) ? WEXITSTATUS(status) : -1, &v); napi_set_named_property(env, ret, "code", v);
  napi_create_int32(env, WIFSIGNALED(status) ? WTERMSIG(status) : 0, &v); napi_set_named_property(env, ret, "signal", v);
  return ret;
}

/*
 * netnsCreate(path): unshare(CLONE_NEWNET) affects only the calling thread, so this thread steps into a new
 * network namespace, brings lo up, bind-mounts the namespace on `path` and steps back (setns). Replaces an
 * `unshare --net=PATH ip link set lo up` exec pair (~7 ms) on every container start.
 */
static napi_value js_netns_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char *path = argc > 0 ? get_str(env, argv[0]) : NULL;
  if (!path) return throw_errno(env, EINVAL, "netnsCreate", "");
  int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (orig < 0) {
    int e = errno;
    free(path);
    return throw_errno(env, e, "open", "/proc/thread-self/ns/net");
  }
  if (unshare(CLONE_NEWNET) != 0) {
    int e = errno;
    close(orig);
    throw_errno(env, e, "unshare", path);
    free(path);
    return NULL;
  }
  int err = 0;
  const char *what = NULL;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) { err = errno; what = "socket"; }
  else {
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) { err = errno; what = "SIOCGIFFLAGS lo"; }
    else {
      ifr.ifr_flags |= IFF_UP;
      if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) { err = errno; what = "SIOCSIFFLAGS lo"; }
    }
    close(s);
  }
  if (!err && mount("/proc/thread-self/ns/net", path, NULL, MS_BIND, NULL) != 0) { err = errno; what = "mount"; }
  /* Back to the original namespace; staying in the new one would silently break all later networking. */
  if (setns(orig, CLONE_NEWNET) != 0) abort();
  close(orig);
  if (err) throw_errno(env, err, what, path);
  free(path);
  return NULL;
}

/* [fds[0], fds[1]] as a JS array */
static napi_value fd_pair(napi_env env, const int fds[2]) {
  napi_value arr, v;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_int32(env, fds[0], &v); napi_set_element(env, arr, 0, v);
  napi_create_int32(env, fds[1], &v); napi_set_element(env, arr, 1, v);
  return arr;
}

/* pipe(): Node makes socketpairs for child stdio, but a container's stdout must be a pipe (as with podman) */
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return throw_errno(env, errno, "pipe2", NULL);
  /* pipe(size): a bigger buffer, best effort (refused above /proc/sys/fs/pipe-max-size or the user's quota) */
  if (argc > 0) {
    int64_t size = get_int(env, argv[0]);
    if (size > 0) (void)fcntl(fds[1], F_SETPIPE_SZ, (int)size);
  }
  return fd_pair(env, fds);
}


static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return throw_errno(env, errno, "socketpair", NULL);
  return fd_pair(env, fds);
}

static char **get_str_array(napi_env env, napi_value v) {
  bool is_array = false;
  napi_is_array(env, v, &is_array);
  if (!is_array) return NULL;
  uint32_t n = 0;
  napi_get_array_length(env, v, &n);
  char **out = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, v, i, &e);
    out[i] = get_str(env, e);
    if (!out[i]) out[i] = strdup("");
  }
  return out;
}

static void free_str_array(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

/*
 * spawn(file, argv, env|null, fds, setsid, cwd|null) -> pid, with vfork(2): nothing of the parent's memory is
 * copied (node's child_process forks the whole process, and loading it costs ~3.5 ms on every container start).
 * The child resets every signal to its default disposition and unblocks them all (node ignores SIGPIPE and a
 * container must not inherit that; glibc's posix_spawn would leave its two internal signals ignored), makes
 * fd i = fds[i] (-1: /dev/null) and no other descriptor, its own session if setsid, and execs
 * (PATH search as execvp). An exec failure comes back as the errno of the thrown Error. The caller reaps.
 */
struct k_sigaction { void *handler; unsigned long flags; void *restorer; unsigned long mask; };

/* The vfork child: only system calls until exec; errno goes back through *err (memory is shared). */
static void __attribute__((noreturn, noinline)) spawn_child(const char *file, char **args, char **envp, const int *src,
                                                            int nfds, int devnull, bool new_session, const char *cwd,
                                                            volatile int *err) {
  struct k_sigaction dfl = { SIG_DFL, 0, NULL, 0 };
  for (int sig = 1; sig < 65; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
  if (new_session) setsid();
  for (int i = 0; i < nfds; i++) {
    int from = src[i] >= 0 ? src[i] : devnull;
    if (from < 0 || dup2(from, i) < 0) { *err = from < 0 ? ENOENT : errno; _exit(127); }
  }
  /* descriptors the caller's caller left open without O_CLOEXEC (a CI runner's pipe, a shell's fd 9) would be
     held for the container's whole life: close everything above the ones asked for (Linux 5.9+) */
  syscall(SYS_close_range, (unsigned)nfds, ~0U, 0);
  if (cwd && chdir(cwd) != 0) { *err = errno; _exit(127); }
  unsigned long none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
  execvpe(file, args, envp);
  *err = errno;
  _exit(127);
}

static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) return throw_errno(env, EINVAL, "spawn", "");
  char *file = get_str(env, argv[0]);
  char **args = get_str_array(env, argv[1]);
  char **envp = get_str_array(env, argv[2]);
  bool setsid_ = false;
  if (argc > 4) napi_get_value_bool(env, argv[4], &setsid_);
  char *cwd = argc > 5 ? get_str(env, argv[5]) : NULL;
  uint32_t nfds = 0;
  napi_get_array_length(env, argv[3], &nfds);
  if (!file || !args || nfds > 64) {
    free(file); free_str_array(args); free_str_array(envp); free(cwd);
    return throw_errno(env, EINVAL, "spawn", "");
  }
  int src[64], tmp[64];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value e;
    napi_get_element(env, argv[3], i, &e);
    src[i] = (int)get_int(env, e);
    tmp[i] = -1;
    /* a source that is itself one of the targets would be overwritten first (or keep O_CLOEXEC on
       dup2(fd, fd)): move it above the targets */
    if (src[i] >= 0 && src[i] < (int)nfds) {
      tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, (int)nfds);
      src[i] = tmp[i];
    }
  }
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  extern char **environ;
  char **child_env = envp ? envp : environ;
  /* all signals blocked across vfork: no handler of ours may run in the child before it resets them */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  volatile int child_err = 0;
  pid_t pid = vfork();
  if (pid == 0) spawn_child(file, args, child_env, src, (int)nfds, devnull, setsid_, cwd, &child_err);
  int spawn_err = pid < 0 ? errno : child_err;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid > 0 && spawn_err) {
    int st;
    waitpid(pid, &st, 0);
  }
  if (devnull >= 0) close(devnull);
  for (uint32_t i = 0; i < nfds; i++) if (tmp[i] >= 0) close(tmp[i]);
  free_str_array(args); free_str_array(envp); free(cwd);
  if (spawn_err) {
    throw_errno(env, spawn_err, "spawn", file);
    free(file);
    return NULL;
  }
  free(file);
  napi_value ret;
  napi_create_int32(env, pid, &ret);
  return ret;
}

#define EXPORT(name, fn) do { napi_value f; napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f); napi_set_named_property(env, exports, name, f); } while (0)

static napi_value init(napi_env env, napi_value exports) {
  EXPORT("mount", js_mount);
  EXPORT("umount", js_umount);
  EXPORT("mknod", js_mknod);
  EXPORT("lsetxattr", js_lsetxattr);
  EXPORT("llistxattr", js_llistxattr);
  EXPORT("lgetxattr", js_lgetxattr);
  EXPORT("setSubreaper", js_set_subreaper);
  EXPORT("waitpid", js_waitpid);
  EXPORT("netnsCreate", js_netns_create);
  EXPORT("pipe", js_pipe);
  EXPORT("socketpair", js_socketpair);
  EXPORT("spawn", js_spawn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
