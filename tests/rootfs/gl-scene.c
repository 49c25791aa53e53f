/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gl-scene: renders a fixed scene with OpenGL ES 2 on EGL's surfaceless
 * platform (EGL_MESA_platform_surfaceless: the first DRM render node Mesa
 * can drive, else its software renderer) into an offscreen framebuffer,
 * reads the pixels back and prints
 *
 *   renderer: <GL_RENDERER>
 *   checksum: <FNV-1a 64 of the RGBA pixels, 16 hex digits>
 *
 * The scene is 256x256: a clear colour and flat-coloured triangles whose
 * edges pass no pixel centre closely, colours k/255, no blending,
 * dithering or texture sampling, so conforming rasterizers give the same
 * pixels (llvmpipe and softpipe do): Mesa's virgl driver in a guest (drawn
 * by the host's renderer) and llvmpipe on the host agree. Before the
 * checksum is printed, a few pixels are compared with the colours the
 * scene puts there, so a blank or garbled image is an error of its own.
 *
 *   gl-scene [--frames N]
 *
 * --frames N draws the scene N more times, each followed by glFinish and a
 * read-back whose checksum must equal the first, and prints
 * "frames: N seconds: S fps: F" (a benchmark, no limit is checked).
 *
 * Any EGL or GL failure prints one line "gl-scene: ..." and exits 1; bad
 * usage exits 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>

#define SIZE 256

struct tri {
	GLfloat xy[6]; /* pixel coordinates, origin bottom left */
	GLubyte rgba[4];
};

/*
 * Every edge runs along a direction of small whole numbers (1:0, 1:1, 1:2)
 * and the vertices sit a fraction of a pixel (multiples of 1/8, exact in
 * float and in any sub-pixel grid) off the pixel lattice, so no pixel
 * centre comes nearer than 1/6 pixel to an edge: no tie for a fill rule to
 * break, no rounding that could move a pixel from one triangle to another.
 * The probes below sit inside one triangle each (the last one drawn there)
 * or in corners no triangle covers.
 */
static const struct tri scene[] = {
	{{16.125f, 16.25f, 128.125f, 16.25f, 16.125f, 128.25f},
	 {255, 0, 0, 255}},
	{{240.0f, 16.5f, 240.0f, 226.5f, 100.0f, 86.5f}, {0, 255, 0, 255}},
	{{40.5f, 240.0f, 200.5f, 240.0f, 120.5f, 160.0f}, {0, 0, 255, 255}},
	{{96.125f, 96.125f, 176.125f, 136.125f, 136.125f, 176.125f},
	 {255, 255, 0, 255}},
	{{60.125f, 150.125f, 100.125f, 230.125f, 20.125f, 190.125f},
	 {51, 102, 153, 255}},
};

static const GLubyte clear_rgba[4] = {17, 34, 68, 255};

static const struct {
	int x, y;
	int tri; /* index into scene, -1: the clear colour */
} probes[] = {
	{30, 30, 0},  {220, 80, 1},   {120, 220, 2}, {136, 136, 3},
	{60, 190, 4}, {250, 250, -1}, {2, 2, -1},    {250, 2, -1},
};

static const char vs_src[] =
	"attribute vec2 pos;\n"
	"void main() {\n"
	"  gl_Position = vec4(pos / 128.0 - 1.0, 0.0, 1.0);\n"
	"}\n";
static const char fs_src[] = "precision mediump float;\n"
			     "uniform vec4 color;\n"
			     "void main() {\n"
			     "  gl_FragColor = color;\n"
			     "}\n";

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("gl-scene: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const char *egl_error_name(EGLint e)
{
	switch (e) {
	case EGL_SUCCESS:
		return "EGL_SUCCESS";
	case EGL_NOT_INITIALIZED:
		return "EGL_NOT_INITIALIZED";
	case EGL_BAD_ACCESS:
		return "EGL_BAD_ACCESS";
	case EGL_BAD_ALLOC:
		return "EGL_BAD_ALLOC";
	case EGL_BAD_ATTRIBUTE:
		return "EGL_BAD_ATTRIBUTE";
	case EGL_BAD_CONFIG:
		return "EGL_BAD_CONFIG";
	case EGL_BAD_CONTEXT:
		return "EGL_BAD_CONTEXT";
	case EGL_BAD_CURRENT_SURFACE:
		return "EGL_BAD_CURRENT_SURFACE";
	case EGL_BAD_DISPLAY:
		return "EGL_BAD_DISPLAY";
	case EGL_BAD_MATCH:
		return "EGL_BAD_MATCH";
	case EGL_BAD_NATIVE_PIXMAP:
		return "EGL_BAD_NATIVE_PIXMAP";
	case EGL_BAD_NATIVE_WINDOW:
		return "EGL_BAD_NATIVE_WINDOW";
	case EGL_BAD_PARAMETER:
		return "EGL_BAD_PARAMETER";
	case EGL_BAD_SURFACE:
		return "EGL_BAD_SURFACE";
	case EGL_CONTEXT_LOST:
		return "EGL_CONTEXT_LOST";
	default:
		return "unknown EGL error";
	}
}

static void egl_fail(const char *what)
{
	EGLint e = eglGetError();

	fail("%s: %s (0x%x)", what, egl_error_name(e), (unsigned)e);
}

static void gl_check(const char *what)
{
	GLenum e = glGetError();

	if (e != GL_NO_ERROR)
		fail("%s: GL error 0x%x", what, (unsigned)e);
}

static int has_ext(const char *list, const char *ext)
{
	size_t n = strlen(ext);
	const char *p = list;

	while (p && (p = strstr(p, ext))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

static GLuint compile(GLenum type, const char *src, const char *what)
{
	GLuint sh = glCreateShader(type);
	GLint ok = 0;
	char log[512] = "";

	if (!sh)
		fail("glCreateShader(%s): GL error 0x%x", what,
		     (unsigned)glGetError());
	glShaderSource(sh, 1, &src, NULL);
	glCompileShader(sh);
	glGetShaderiv(sh, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		glGetShaderInfoLog(sh, sizeof(log), NULL, log);
		log[strcspn(log, "\n")] = '\0';
		fail("compile %s shader: %s", what, log);
	}
	return sh;
}

static void setup_egl(void)
{
	const char *client_exts, *exts;
	EGLDisplay dpy;
	EGLContext ctx;
	EGLint major, minor;
	static const EGLint ctx_attrs[] = {EGL_CONTEXT_CLIENT_VERSION, 2,
					   EGL_NONE};

	client_exts = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	if (!client_exts ||
	    !has_ext(client_exts, "EGL_MESA_platform_surfaceless"))
		fail("EGL has no EGL_MESA_platform_surfaceless");
	dpy = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA,
				    EGL_DEFAULT_DISPLAY, NULL);
	if (dpy == EGL_NO_DISPLAY)
		egl_fail("eglGetPlatformDisplay(surfaceless)");
	if (!eglInitialize(dpy, &major, &minor))
		egl_fail("eglInitialize");
	exts = eglQueryString(dpy, EGL_EXTENSIONS);
	if (!exts || !has_ext(exts, "EGL_KHR_surfaceless_context") ||
	    !has_ext(exts, "EGL_KHR_no_config_context"))
		fail("EGL display lacks EGL_KHR_surfaceless_context or EGL_KHR_no_config_context");
	if (!eglBindAPI(EGL_OPENGL_ES_API))
		egl_fail("eglBindAPI(EGL_OPENGL_ES_API)");
	ctx = eglCreateContext(dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT,
			       ctx_attrs);
	if (ctx == EGL_NO_CONTEXT)
		egl_fail("eglCreateContext(GLES2)");
	if (!eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx))
		egl_fail("eglMakeCurrent");
}

struct gl_state {
	GLuint prog;
	GLint color_loc;
	GLuint vbo;
};

static void setup_gl(struct gl_state *gs)
{
	GLuint tex, fbo, vs, fs;
	GLint ok = 0;
	GLenum st;
	char log[512] = "";
	GLfloat xy[sizeof(scene) / sizeof(scene[0]) * 6];
	size_t i;

	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, SIZE, SIZE, 0, GL_RGBA,
		     GL_UNSIGNED_BYTE, NULL);
	gl_check("glTexImage2D(256x256 RGBA)");
	glGenFramebuffers(1, &fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0,
			       GL_TEXTURE_2D, tex, 0);
	st = glCheckFramebufferStatus(GL_FRAMEBUFFER);
	if (st != GL_FRAMEBUFFER_COMPLETE)
		fail("framebuffer incomplete: status 0x%x", (unsigned)st);

	vs = compile(GL_VERTEX_SHADER, vs_src, "vertex");
	fs = compile(GL_FRAGMENT_SHADER, fs_src, "fragment");
	gs->prog = glCreateProgram();
	glAttachShader(gs->prog, vs);
	glAttachShader(gs->prog, fs);
	glBindAttribLocation(gs->prog, 0, "pos");
	glLinkProgram(gs->prog);
	glGetProgramiv(gs->prog, GL_LINK_STATUS, &ok);
	if (!ok) {
		glGetProgramInfoLog(gs->prog, sizeof(log), NULL, log);
		log[strcspn(log, "\n")] = '\0';
		fail("link program: %s", log);
	}
	glUseProgram(gs->prog);
	gs->color_loc = glGetUniformLocation(gs->prog, "color");
	if (gs->color_loc < 0)
		fail("program has no uniform `color`");

	for (i = 0; i < sizeof(scene) / sizeof(scene[0]); i++)
		memcpy(&xy[i * 6], scene[i].xy, sizeof(scene[i].xy));
	glGenBuffers(1, &gs->vbo);
	glBindBuffer(GL_ARRAY_BUFFER, gs->vbo);
	glBufferData(GL_ARRAY_BUFFER, sizeof(xy), xy, GL_STATIC_DRAW);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
	glEnableVertexAttribArray(0);

	glViewport(0, 0, SIZE, SIZE);
	glDisable(GL_DITHER);
	glDisable(GL_BLEND);
	glDisable(GL_DEPTH_TEST);
	glDisable(GL_CULL_FACE);
	glDisable(GL_SCISSOR_TEST);
	glPixelStorei(GL_PACK_ALIGNMENT, 1);
	gl_check("GL setup");
}

static uint64_t draw(const struct gl_state *gs, GLubyte *px)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	glClearColor(clear_rgba[0] / 255.0f, clear_rgba[1] / 255.0f,
		     clear_rgba[2] / 255.0f, clear_rgba[3] / 255.0f);
	glClear(GL_COLOR_BUFFER_BIT);
	for (i = 0; i < sizeof(scene) / sizeof(scene[0]); i++) {
		glUniform4f(gs->color_loc, scene[i].rgba[0] / 255.0f,
			    scene[i].rgba[1] / 255.0f,
			    scene[i].rgba[2] / 255.0f,
			    scene[i].rgba[3] / 255.0f);
		glDrawArrays(GL_TRIANGLES, (GLint)(i * 3), 3);
	}
	glFinish();
	glReadPixels(0, 0, SIZE, SIZE, GL_RGBA, GL_UNSIGNED_BYTE, px);
	gl_check("draw and glReadPixels");
	for (i = 0; i < (size_t)SIZE * SIZE * 4; i++) {
		h ^= px[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void check_probes(const GLubyte *px)
{
	size_t i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const GLubyte *want = probes[i].tri < 0
					      ? clear_rgba
					      : scene[probes[i].tri].rgba;
		const GLubyte *got =
			&px[((size_t)probes[i].y * SIZE + probes[i].x) * 4];

		if (memcmp(want, got, 4))
			fail("pixel (%d,%d) is %u,%u,%u,%u, the scene puts %u,%u,%u,%u there",
			     probes[i].x, probes[i].y, got[0], got[1], got[2],
			     got[3], want[0], want[1], want[2], want[3]);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static GLubyte px[SIZE * SIZE * 4];
	struct gl_state gs;
	const char *renderer;
	long frames = 0, f;
	uint64_t sum, again;
	double t0, secs;
	char *end;

	if (argc == 3 && !strcmp(argv[1], "--frames")) {
		errno = 0;
		frames = strtol(argv[2], &end, 10);
		if (errno || *end || end == argv[2] || frames < 1) {
			fprintf(stderr,
				"gl-scene: --frames wants a count >= 1, not `%s`\n",
				argv[2]);
			return 2;
		}
	} else if (argc != 1) {
		fprintf(stderr, "usage: gl-scene [--frames N]\n");
		return 2;
	}

	setup_egl();
	renderer = (const char *)glGetString(GL_RENDERER);
	if (!renderer)
		fail("glGetString(GL_RENDERER): GL error 0x%x",
		     (unsigned)glGetError());
	setup_gl(&gs);
	sum = draw(&gs, px);
	check_probes(px);
	printf("renderer: %s\n", renderer);
	printf("checksum: %016" PRIx64 "\n", sum);
	fflush(stdout);
	if (!frames)
		return 0;

	t0 = now();
	for (f = 0; f < frames; f++) {
		again = draw(&gs, px);
		if (again != sum)
			fail("frame %ld: checksum %016" PRIx64
			     " differs from the first frame's",
			     f + 1, again);
	}
	secs = now() - t0;
	printf("frames: %ld seconds: %.3f fps: %.1f\n", frames, secs,
	       secs > 0 ? frames / secs : 0.0);
	return 0;
}
