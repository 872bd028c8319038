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
