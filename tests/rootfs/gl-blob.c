/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gl-blob: reads and writes a GL buffer through a persistent, coherent
 * mapping (GLES 3 with GL_EXT_buffer_storage on EGL's surfaceless
 * platform) and checks both directions against the GL side:
 *
 *   guest -> renderer  a pattern written through the mapping is copied by
 *                      GL (glCopyBufferSubData) into a plain buffer and
 *                      read back from there;
 *   renderer -> guest  a pattern uploaded into the plain buffer is copied
 *                      by GL into the mapped one and read through the
 *                      mapping.
 *
 * Under Mesa's virgl driver such a buffer is a virtio-gpu blob resource
 * (HOST3D, mappable) whose memory is the host renderer's, shown to the
 * guest in the device's host-visible window; gl-blob checks that the
 * mapping really is device memory of the DRM device, not pages of guest
 * RAM: in /proc/self/smaps it maps a /dev/dri/ node as a pure PFN range
 * ("pf"; the virtio-gpu driver maps only its window that way, RAM-backed
 * objects are pages). --anywhere drops that check (for a run on the
 * host's own Mesa).
 *
 *   gl-blob [--rounds N] [--anywhere]
 *
 * N rounds (default 8) each create, check and delete a 64 KiB buffer (so
 * mappings come and go). Prints
 *
 *   renderer: <GL_RENDERER>
 *   blob: N rounds of 65536 bytes, both directions, mapped from <node>
 *
 * Any failure prints one line "gl-blob: ..." and exits 1; bad usage and a
 * GL without GL_EXT_buffer_storage exit 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES3/gl3.h>
#include <GLES2/gl2ext.h>

#define BUF_BYTES 65536u
#define PAGE 4096u

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("gl-blob: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(1);
}

static bool has_ext(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static void setup_egl(void)
{
	static const EGLint ctx_attrs[] = {EGL_CONTEXT_MAJOR_VERSION, 3,
					   EGL_NONE};
	const char *exts;
	EGLDisplay dpy;
	EGLContext ctx;

	exts = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	if (!exts || !has_ext(exts, "EGL_MESA_platform_surfaceless"))
		fail("EGL has no EGL_MESA_platform_surfaceless");
	dpy = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA,
				    EGL_DEFAULT_DISPLAY, NULL);
	if (dpy == EGL_NO_DISPLAY || !eglInitialize(dpy, NULL, NULL))
		fail("EGL surfaceless display: error 0x%x", eglGetError());
	if (!eglBindAPI(EGL_OPENGL_ES_API))
		fail("eglBindAPI(GLES): error 0x%x", eglGetError());
	ctx = eglCreateContext(dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT,
			       ctx_attrs);
	if (ctx == EGL_NO_CONTEXT ||
	    !eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx))
		fail("GLES 3 context: error 0x%x", eglGetError());
}

static void gl_check(const char *what)
{
	GLenum e = glGetError();

	if (e != GL_NO_ERROR)
		fail("%s: GL error 0x%x", what, (unsigned)e);
}

static void pattern(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static void compare(const uint8_t *got, uint32_t seed, const char *what,
		    unsigned int round)
{
	static uint8_t want[BUF_BYTES];

	pattern(want, BUF_BYTES, seed);
	for (size_t i = 0; i < BUF_BYTES; i++)
		if (got[i] != want[i])
			fail("round %u, %s: byte %zu is 0x%02x, expected 0x%02x",
			     round, what, i, got[i], want[i]);
}

/*
 * Where v is mapped, from /proc/self/smaps: into *path the mapped file
 * and whether the mapping is a pure PFN range ("pf" in VmFlags), that is
 * device memory rather than pages of RAM. 0, or -1 when no mapping holds
 * v.
 */
static int mapping_of(const void *v, char *path, size_t path_len, bool *pfn)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool inside = false;
	int ret = -1;

	if (!f)
		fail("open /proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		int name_at = 0;

		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &lo, &hi,
			   &name_at) == 2 &&
		    name_at) {
			if (inside)
				break;
			inside = (uintptr_t)v >= lo && (uintptr_t)v < hi;
			if (inside) {
				snprintf(path, path_len, "%s", line + name_at);
				path[strcspn(path, "\n")] = 0;
			}
		} else if (inside && !strncmp(line, "VmFlags:", 8)) {
			*pfn = strstr(line, " pf") != NULL;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	const GLbitfield flags = GL_MAP_READ_BIT | GL_MAP_WRITE_BIT |
				 GL_MAP_PERSISTENT_BIT_EXT |
				 GL_MAP_COHERENT_BIT_EXT;
	PFNGLBUFFERSTORAGEEXTPROC buffer_storage;
	static uint8_t upload[BUF_BYTES];
	unsigned int rounds = 8;
	bool anywhere = false;
	const char *renderer, *exts;
	char path[256] = "";

	for (int i = 1; i < argc; i++) {
		char *end;

		if (!strcmp(argv[i], "--anywhere")) {
			anywhere = true;
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			errno = 0;
			rounds = (unsigned int)strtoul(argv[++i], &end, 10);
			if (errno || *end || !rounds || rounds > 1000) {
				fprintf(stderr,
					"gl-blob: --rounds wants 1..1000, not `%s`\n",
					argv[i]);
				return 2;
			}
		} else {
			fprintf(stderr,
				"usage: gl-blob [--rounds N] [--anywhere]\n");
			return 2;
		}
	}

	setup_egl();
	renderer = (const char *)glGetString(GL_RENDERER);
	exts = (const char *)glGetString(GL_EXTENSIONS);
	if (!renderer || !exts)
		fail("glGetString: GL error 0x%x", (unsigned)glGetError());
	printf("renderer: %s\n", renderer);
	fflush(stdout);
	buffer_storage = (PFNGLBUFFERSTORAGEEXTPROC)eglGetProcAddress(
		"glBufferStorageEXT");
	if (!has_ext(exts, "GL_EXT_buffer_storage") || !buffer_storage) {
		printf("gl-blob: this GL has no GL_EXT_buffer_storage (no persistent mappings)\n");
		return 2;
	}

	for (unsigned int r = 0; r < rounds; r++) {
		GLuint buf[2];
		uint8_t *map;
		const uint8_t *back;

		glGenBuffers(2, buf);
		glBindBuffer(GL_COPY_READ_BUFFER, buf[1]);
		glBufferData(GL_COPY_READ_BUFFER, BUF_BYTES, NULL,
			     GL_DYNAMIC_COPY);
		glBindBuffer(GL_COPY_WRITE_BUFFER, buf[0]);
		buffer_storage(GL_COPY_WRITE_BUFFER, BUF_BYTES, NULL, flags);
		map = glMapBufferRange(GL_COPY_WRITE_BUFFER, 0, BUF_BYTES,
				       flags);
		gl_check(
			"glBufferStorageEXT and a persistent glMapBufferRange");
		if (!map)
			fail("round %u: persistent glMapBufferRange gave NULL",
			     r);

		/* guest -> renderer: through the mapping, out by GL */
		pattern(map, BUF_BYTES, 2 * r + 1);
		if (!anywhere) {
			bool pfn = false;

			if (mapping_of(map, path, sizeof(path), &pfn) < 0)
				fail("round %u: %p is in no mapping of /proc/self/smaps",
				     r, (void *)map);
			if (!pfn || strncmp(path, "/dev/dri/", 9))
				fail("round %u: the mapping is %s of `%s`, not device memory of the GPU: not a host-visible blob",
				     r, pfn ? "a PFN range" : "pages of RAM",
				     path);
		}
		glCopyBufferSubData(GL_COPY_WRITE_BUFFER, GL_COPY_READ_BUFFER,
				    0, 0, BUF_BYTES);
		back = glMapBufferRange(GL_COPY_READ_BUFFER, 0, BUF_BYTES,
					GL_MAP_READ_BIT);
		gl_check("copy out of the mapped buffer and read back");
		if (!back)
			fail("round %u: glMapBufferRange(read) gave NULL", r);
		compare(back, 2 * r + 1, "written through the mapping", r);
		glUnmapBuffer(GL_COPY_READ_BUFFER);

		/* renderer -> guest: in by GL, read through the mapping */
		pattern(upload, BUF_BYTES, 2 * r + 2);
		glBufferSubData(GL_COPY_READ_BUFFER, 0, BUF_BYTES, upload);
		glCopyBufferSubData(GL_COPY_READ_BUFFER, GL_COPY_WRITE_BUFFER,
				    0, 0, BUF_BYTES);
		glFinish();
		gl_check("copy into the mapped buffer");
		compare(map, 2 * r + 2,
			"copied in by GL, read through the mapping", r);

		glUnmapBuffer(GL_COPY_WRITE_BUFFER);
		glDeleteBuffers(2, buf);
		gl_check("delete");
	}
	printf("blob: %u rounds of %u bytes, both directions, mapped from %s\n",
	       rounds, BUF_BYTES, anywhere ? "anywhere" : path);
	return 0;
}
