#include <string.h>
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

// The kernel's receive time of a datagram (SO_TIMESTAMP) in microseconds since the epoch, or 0 when
// the message carries none. CMSG_* are macros, which Swift cannot call.
static inline long long avc_receive_time_microseconds(struct msghdr *message) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c != 0; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMP) {
            struct timeval time;
            memcpy(&time, CMSG_DATA(c), sizeof time);
            return (long long)time.tv_sec * 1000000 + time.tv_usec;
        }
    }
    return 0;
}

// How many datagrams the socket has dropped for a full receive buffer so far (SO_RXQ_OVFL), or -1
// when the message does not say.
static inline long long avc_dropped_so_far(struct msghdr *message) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(message); c != 0; c = CMSG_NXTHDR(message, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
            unsigned int dropped;
            memcpy(&dropped, CMSG_DATA(c), sizeof dropped);
            return dropped;
        }
    }
    return -1;
}
