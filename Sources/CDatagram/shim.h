#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

// recvmmsg(2) and struct mmsghdr are only declared with _GNU_SOURCE, which Swift's Glibc module
// is built without: the same layout under another name, and the system call itself.
struct avc_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

static inline int avc_recvmmsg(int fd, struct avc_mmsghdr *messages, unsigned int count, int flags) {
    return (int)syscall(SYS_recvmmsg, fd, messages, count, flags, (struct timespec *)0);
}

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

// What the kernel says of a received datagram, from its control messages (CMSG_* are macros,
// which Swift cannot call): its arrival time (SO_TIMESTAMP) in microseconds since the epoch, and
// how many datagrams the socket has dropped so far for a full receive buffer (SO_RXQ_OVFL); each
// stays as it was when the message does not carry it.
static inline void avc_receive_details(struct msghdr *message, long long *arrival_microseconds, long long *dropped_so_far) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c != 0; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_TIMESTAMP) {
            struct timeval time;
            memcpy(&time, CMSG_DATA(c), sizeof time);
            *arrival_microseconds = (long long)time.tv_sec * 1000000 + time.tv_usec;
        } else if (c->cmsg_type == SO_RXQ_OVFL) {
            unsigned int dropped;
            memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
            *dropped_so_far = dropped;
        }
    }
}

// A stream socket's read with the kernel's arrival time of the newest bytes read (SO_TIMESTAMP
// on the socket; TCP stamps a read with its last segment's arrival), for a load client that reads
// every few milliseconds but measures when the bytes reached it. `arrival_microseconds` stays as
// it was when the read carries no stamp.
static inline long avc_stream_recv_stamped(int fd, void *bytes, size_t length, int flags, long long *arrival_microseconds) {
    struct iovec vector = {bytes, length};
    union {
        struct cmsghdr header;
        char bytes[CMSG_SPACE(sizeof(struct timeval))];
    } control;
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control.bytes;
    message.msg_controllen = sizeof control.bytes;
    long got = recvmsg(fd, &message, flags);
    if (got > 0) {
        long long dropped = 0;
        avc_receive_details(&message, arrival_microseconds, &dropped);
    }
    return got;
}

// ---- The unit's UDP fan-out: many messages to many receivers in few sendmmsg(2) calls. ----

#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

// A receiver's socket address, prepared once when it joins (IPv4 or IPv6).
struct avc_peer {
    union {
        struct sockaddr base;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } address;
    socklen_t length;
};

// One message (a datagram, or a video frame's datagrams as one GSO message of `segment_size`
// segments) for every peer of a list. The iovec and control buffer are filled by avc_fanout_send.
struct avc_send {
    const void *bytes;
    size_t length;
    uint16_t segment_size;  // 0: one datagram
    const struct avc_peer *peers;
    unsigned int peer_count;
    struct iovec iov;
    union {
        struct cmsghdr header;
        char bytes[CMSG_SPACE(sizeof(uint16_t))];
    } control;
};

static inline void avc_send_set(struct avc_send *send, const void *bytes, size_t length, uint16_t segment_size,
                                const struct avc_peer *peers, unsigned int peer_count) {
    memset(send, 0, sizeof *send);
    send->bytes = bytes;
    send->length = length;
    send->segment_size = segment_size;
    send->peers = peers;
    send->peer_count = peer_count;
}

struct avc_fanout_result {
    long sent;       // messages the kernel took
    long failed;     // messages it refused (an unreachable peer, a message too large)
    long dropped;    // messages not sent because the socket's buffer was full
    long calls;      // sendmmsg calls
    int last_error;  // errno of the last refusal, 0 when none
};

// The most messages one sendmmsg call takes (UIO_MAXIOV).
#define AVC_FANOUT_BATCH 1024

static inline size_t avc_fanout_scratch_size(void) { return sizeof(struct avc_mmsghdr) * AVC_FANOUT_BATCH; }

// Sends every message of `sends` to each of its peers, in order (a peer gets its messages in the
// order of `sends`), AVC_FANOUT_BATCH messages a call. Consecutive sends to the same peer list
// go peer by peer (each receiver's audio and video side by side, as a live channel's mix is).
// `scratch` holds avc_fanout_scratch_size() bytes. A refused message is skipped and counted; a
// full socket buffer ends the call and the rest is counted as dropped (live media: late is lost).
static inline void avc_fanout_send(int fd, struct avc_send *sends, size_t send_count, void *scratch, struct avc_fanout_result *result) {
    struct avc_mmsghdr *batch = (struct avc_mmsghdr *)scratch;
    long total = 0;
    for (size_t s = 0; s < send_count; s++) {
        struct avc_send *send = &sends[s];
        send->iov.iov_base = (void *)send->bytes;
        send->iov.iov_len = send->length;
        if (send->segment_size > 0) {
            send->control.header.cmsg_level = SOL_UDP;
            send->control.header.cmsg_type = UDP_SEGMENT;
            send->control.header.cmsg_len = CMSG_LEN(sizeof(uint16_t));
            memcpy(CMSG_DATA(&send->control.header), &send->segment_size, sizeof(uint16_t));
        }
        total += send->peer_count;
    }
    // A run: sends [first, end) to the same peers; the cursor is (peer, send within the run).
    size_t first = 0, end = 0, s = 0;
    unsigned int p = 0;
    unsigned int count = 0;
    long left = total;
    while (left > 0) {
        count = 0;
        while (count < AVC_FANOUT_BATCH && first < send_count) {
            if (end <= first) {
                end = first + 1;
                while (end < send_count && sends[end].peers == sends[first].peers && sends[end].peer_count == sends[first].peer_count) end++;
                s = first;
                p = 0;
            }
            if (p >= sends[first].peer_count) { first = end; continue; }
            struct avc_send *send = &sends[s];
            struct msghdr *m = &batch[count].msg_hdr;
            m->msg_name = (void *)&send->peers[p].address;
            m->msg_namelen = send->peers[p].length;
            m->msg_iov = &send->iov;
            m->msg_iovlen = 1;
            m->msg_control = send->segment_size > 0 ? (void *)&send->control : 0;
            m->msg_controllen = send->segment_size > 0 ? sizeof send->control : 0;
            m->msg_flags = 0;
            batch[count].msg_len = 0;
            count++;
            if (++s == end) { s = first; p++; }
        }
        unsigned int done = 0;
        while (done < count) {
            result->calls++;
            int n = (int)syscall(SYS_sendmmsg, fd, batch + done, count - done, 0);
            if (n > 0) {
                done += (unsigned int)n;
                result->sent += n;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
                result->dropped += left - done;
                return;
            } else {
                result->failed++;
                result->last_error = n < 0 ? errno : EIO;
                done++;
            }
        }
        left -= count;
    }
}

// ---- TCP: the unit's shared chunk written straight to a viewer's socket. ----

#include <netinet/tcp.h>

// One write that never blocks and never raises SIGPIPE: the bytes the kernel took, or -1 with
// errno (EAGAIN: its buffer is full).
static inline long avc_stream_write(int fd, const void *bytes, size_t length) {
    long n;
    do { n = (long)send(fd, bytes, length, MSG_DONTWAIT | MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n;
}

// Asks for the cache lines of `bytes` bytes at `address` before they are read: a batch walks a
// thousand receivers' sessions, which the kernel's work since the last batch left out of cache,
// and reading each only when its turn comes would wait for memory a thousand times in a row.
static inline void avc_prefetch(const void *address, size_t bytes) {
    for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch((const char *)address + offset);
}

// accept4(2) with non-blocking, close-on-exec descriptors (SOCK_* flags are macros Swift sees
// as another type); -1 with errno on failure.
static inline int avc_accept(int fd) { return (int)syscall(SYS_accept4, fd, (struct sockaddr *)0, (socklen_t *)0, SOCK_NONBLOCK | SOCK_CLOEXEC); }
