"""What the contained child does to itself before any student code runs (standard library only).

The walls, in the order the child raises them (``confine``):
1. a user of its own: from root, it drops to an unprivileged uid the parent picked for it
   (one per running child), which loses every capability;
2. resource limits (address space, CPU, file size, open files, processes);
3. ``no_new_privs``, then **Landlock** (kernel ABI 1+): read-only access beneath the folders
   it needs, read-write beneath its scratch folder, no execution, no TCP bind or connect
   (ABI 4+), no signals and no abstract Unix sockets outside itself (ABI 6+);
4. a **seccomp** filter (x86_64): no new process (threads are allowed), no ``execve``, no
   socket of any family, no ptrace or access to another process's memory, no signal to
   another process, no namespaces, mounts, keyrings, BPF, io_uring or SysV IPC.

Each call answers what it put in place, so the parent can record it; the audit hook the
child adds afterwards is only a tripwire on top of these. Loaded by path in the child.
"""
import ctypes
import os
import platform
import resource
import struct

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
PR_SET_DUMPABLE = 4
SECCOMP_MODE_FILTER = 2
SYS_LANDLOCK = {"create_ruleset": 444, "add_rule": 445, "restrict_self": 446}

# Landlock access rights, by the ABI that introduced them.
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1 = (1 << 13) - 1          # execute .. make_sym
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_CHAR, FS_MAKE_BLOCK, FS_MAKE_SYM = (
    1 << 9, 1 << 10, 1 << 6, 1 << 11, 1 << 12)
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1
RULE_PATH_BENEATH = 1

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def landlock_abi():
    """The kernel's Landlock ABI version (0: none)."""
    version = libc.syscall(ctypes.c_long(SYS_LANDLOCK["create_ruleset"]), None,
                           ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def handled_fs(abi):
    rights = FS_ABI1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def read_rights(path):
    return FS_READ_FILE | (FS_READ_DIR if os.path.isdir(path) else 0)


def write_rights(abi):
    rights = FS_ABI1 & ~(FS_EXECUTE | FS_MAKE_SOCK | FS_MAKE_FIFO | FS_MAKE_CHAR
                         | FS_MAKE_BLOCK | FS_MAKE_SYM)
    return rights | (FS_TRUNCATE if abi >= 3 else 0)


def landlock_ruleset(readable, listable, writable):
    """A Landlock ruleset (an fd) for these paths, and a description of what it enforces.
    Built before the child drops its user, so every path is resolved with root's view."""
    abi = landlock_abi()
    if abi < 1:
        raise OSError("Landlock is not available in this kernel")
    fs = handled_fs(abi)
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0
    scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL if abi >= 6 else 0
    attr = struct.pack("=QQQ", fs, net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    buffer = ctypes.create_string_buffer(attr[:size], size)
    ruleset = libc.syscall(ctypes.c_long(SYS_LANDLOCK["create_ruleset"]), buffer,
                           ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path in readable:
            add_path_rule(ruleset, path, read_rights(path) & fs)
        for path in listable:
            add_path_rule(ruleset, path, FS_READ_DIR & fs)
        for path in writable:
            add_path_rule(ruleset, path, (read_rights(path) | write_rights(abi)) & fs)
    except OSError:
        os.close(ruleset)
        raise
    parts = [f"landlock ABI {abi}: files"]
    parts += ["tcp"] if net else []
    parts += ["signals", "abstract sockets"] if scoped else []
    return ruleset, ", ".join(parts)


def restrict_self(ruleset):
    try:
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if libc.syscall(ctypes.c_long(SYS_LANDLOCK["restrict_self"]), ctypes.c_int(ruleset),
                        ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)


def add_path_rule(ruleset, path, rights):
    if not os.path.exists(path):
        return
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        if not os.path.isdir(path):
            rights &= FS_READ_FILE | FS_WRITE_FILE | FS_EXECUTE | FS_TRUNCATE | FS_IOCTL_DEV
        attr = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
        if libc.syscall(ctypes.c_long(SYS_LANDLOCK["add_rule"]), ctypes.c_int(ruleset),
                        ctypes.c_int(RULE_PATH_BENEATH), attr, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------- seccomp

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
CLONE_THREAD = 0x00010000
# x86_64 syscall numbers refused with EPERM.
DENIED_X86_64 = {
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "ptrace": 101,
    "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
    "socket": 41, "socketpair": 53, "unshare": 272, "setns": 308, "mount": 165,
    "umount2": 166, "pivot_root": 155, "chroot": 161, "keyctl": 250, "add_key": 248,
    "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "rt_sigqueueinfo": 129,
    "rt_tgsigqueueinfo": 297, "personality": 135, "init_module": 175, "finit_module": 313,
    "kexec_load": 246, "open_by_handle_at": 304, "name_to_handle_at": 303,
    "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66,
    "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240,
}
SELF_ONLY_X86_64 = {"kill": 62, "tkill": 200, "tgkill": 234}  # allowed on its own pid only
CLONE_X86_64, CLONE3_X86_64 = 56, 435

RET_ALLOW, RET_KILL, RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
EPERM, ENOSYS = 1, 38
LD_ABS_W, JEQ, JSET, JGE, RET = 0x20, 0x15, 0x45, 0x35, 0x06


def seccomp_available():
    return platform.machine() == "x86_64"


def bpf(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def seccomp_program(pid):
    """The filter as a list of instructions (see the module docstring)."""
    nr, arg0 = 0, 16
    prog = [bpf(LD_ABS_W, 4), bpf(JEQ, AUDIT_ARCH_X86_64, 1, 0), bpf(RET, RET_KILL),
            bpf(LD_ABS_W, nr), bpf(JGE, X32_SYSCALL_BIT, 0, 1), bpf(RET, RET_ERRNO | EPERM)]
    for number in sorted(DENIED_X86_64.values()):
        prog += [bpf(JEQ, number, 0, 1), bpf(RET, RET_ERRNO | EPERM)]
    # clone3 hides its flags in memory: ENOSYS makes the C library fall back to clone.
    prog += [bpf(JEQ, CLONE3_X86_64, 0, 1), bpf(RET, RET_ERRNO | ENOSYS)]
    # clone: threads only.
    prog += [bpf(JEQ, CLONE_X86_64, 0, 4), bpf(LD_ABS_W, arg0),
             bpf(JSET, CLONE_THREAD, 0, 1), bpf(RET, RET_ALLOW), bpf(RET, RET_ERRNO | EPERM)]
    for number in sorted(SELF_ONLY_X86_64.values()):
        prog += [bpf(JEQ, number, 0, 4), bpf(LD_ABS_W, arg0), bpf(JEQ, pid, 0, 1),
                 bpf(RET, RET_ALLOW), bpf(RET, RET_ERRNO | EPERM)]
    prog += [bpf(RET, RET_ALLOW)]
    return prog


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def apply_seccomp():
    if not seccomp_available():
        raise OSError(f"no seccomp filter for {platform.machine()}")
    program = seccomp_program(os.getpid())
    code = ctypes.create_string_buffer(b"".join(program), 8 * len(program))
    fprog = SockFprog(len(program), ctypes.cast(code, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter refused")
    return "seccomp: no processes, exec, sockets, ptrace or signals to others"


# ----------------------------------------------------------------------------- user, limits

def drop_user(uid):
    """From root to ``uid`` (and a group of the same number): every capability goes."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid):
        raise OSError("could not drop to an unprivileged user")
    return f"uid {uid}"


PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_CAP_AMBIENT = 24, 28, 47
SECURE_NOROOT_ALL_LOCKED = 0x2F  # noroot, no setuid fixup, no keep-caps: each locked
CAP_VERSION_3 = 0x20080522


def drop_capabilities():
    """Stay uid 0 but hold no capability, now or after any exec (the fallback where no other
    user can read this Python); Landlock and seccomp then do the rest."""
    libc.prctl(PR_SET_SECUREBITS, SECURE_NOROOT_ALL_LOCKED, 0, 0, 0)
    for cap in range(64):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, 4, 0, 0, 0)  # clear all ambient capabilities
    header = struct.pack("=Ii", CAP_VERSION_3, 0)
    data = ctypes.create_string_buffer(24)
    if libc.capset(ctypes.create_string_buffer(header, 8), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    if "CapEff:\t0000000000000000" not in open("/proc/self/status").read():
        raise OSError("capabilities are still held")
    return "uid 0 without capabilities"


def lower_limits(limits, own_user):
    def lower(kind, value):
        soft, hard = resource.getrlimit(kind)
        new = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (new, new + (1 if kind == resource.RLIMIT_CPU else 0)))
    lower(resource.RLIMIT_AS, limits["memory_bytes"])
    lower(resource.RLIMIT_CPU, limits["cpu_seconds"])
    lower(resource.RLIMIT_FSIZE, limits["file_bytes"])
    lower(resource.RLIMIT_NOFILE, 64)
    if own_user:  # the process count is per user: only meaningful for a user of its own
        lower(resource.RLIMIT_NPROC, limits["processes"])
    lower(resource.RLIMIT_CORE, 0)


def confine(config):
    """Raise every wall the config asks for; returns the list of what is in place.
    A wall that was asked for and can't be raised is an error: the child must not start."""
    done = []
    ruleset = None
    if config.get("landlock"):
        ruleset, landlock = landlock_ruleset(config["readable"], config["listable"],
                                             config["writable"])
    if config.get("uid") is not None:
        done.append(drop_user(int(config["uid"])))
    elif config.get("drop_caps"):
        done.append(drop_capabilities())
    lower_limits(config["limits"], own_user=config.get("uid") is not None)
    done.append("rlimits")
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    if ruleset is not None:
        restrict_self(ruleset)
        done.append(landlock)
    if config.get("seccomp"):
        done.append(apply_seccomp())
    return done
