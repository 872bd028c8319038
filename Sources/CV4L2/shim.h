#include <sys/ioctl.h>
#include <linux/videodev2.h>
#include <libv4l2.h>
#include <libv4lconvert.h>
#include <libv4l-plugin.h>

// Pixel formats and ioctl requests are macros Swift cannot import.
static const unsigned int avc_v4l2_pix_fmt_yuyv = V4L2_PIX_FMT_YUYV;
static const unsigned int avc_v4l2_pix_fmt_mjpeg = V4L2_PIX_FMT_MJPEG;
static const unsigned int avc_v4l2_pix_fmt_yuv420 = V4L2_PIX_FMT_YUV420;
static const unsigned int avc_v4l2_pix_fmt_rgb24 = V4L2_PIX_FMT_RGB24;
static const unsigned long avc_vidioc_querycap = VIDIOC_QUERYCAP;
static const unsigned long avc_vidioc_enum_fmt = VIDIOC_ENUM_FMT;
static const unsigned long avc_vidioc_s_fmt = VIDIOC_S_FMT;
static const unsigned long avc_vidioc_g_fmt = VIDIOC_G_FMT;
static const unsigned long avc_vidioc_s_parm = VIDIOC_S_PARM;
static const unsigned long avc_vidioc_reqbufs = VIDIOC_REQBUFS;
static const unsigned long avc_vidioc_querybuf = VIDIOC_QUERYBUF;
static const unsigned long avc_vidioc_qbuf = VIDIOC_QBUF;
static const unsigned long avc_vidioc_dqbuf = VIDIOC_DQBUF;
static const unsigned long avc_vidioc_streamon = VIDIOC_STREAMON;
static const unsigned long avc_vidioc_streamoff = VIDIOC_STREAMOFF;
static const unsigned long avc_vidioc_try_fmt = VIDIOC_TRY_FMT;
static const unsigned long avc_vidioc_enum_framesizes = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long avc_vidioc_enum_frameintervals = VIDIOC_ENUM_FRAMEINTERVALS;

// v4l2_ioctl is variadic; the capture path always passes one pointer.
static inline int avc_v4l2_ioctl(int fd, unsigned long request, void *arg) { return v4l2_ioctl(fd, request, arg); }
// The kernel's own view of a device (what `broadcaster devices` lists), without libv4l2's emulation.
static inline int avc_ioctl(int fd, unsigned long request, void *arg) { return ioctl(fd, request, arg); }
