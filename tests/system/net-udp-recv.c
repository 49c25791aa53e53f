// SPDX-License-Identifier: Apache-2.0
/*
 * net-udp-recv PORT FILE (static, copied into the guest root): receive
 * datagrams on UDP PORT and append each to FILE. busybox nc has no UDP.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	char buf[2048];
	int s, fd;

	if (argc != 3)
		return 2;
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (s < 0 || fd < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 1;
	for (;;) {
		ssize_t n = recv(s, buf, sizeof(buf), 0);

		if (n > 0 && write(fd, buf, (size_t)n) != n)
			return 1;
	}
}
