"""A network between a phone and the server that the tests can make misbehave.

A TCP relay on 127.0.0.1. Chromium opens a connection of its own for each WebSocket, so
the first request on a connection tells which kind it is. Two ways to fail, both seen on
real networks:
- ``refuse_sockets``: pages pass, WebSocket handshakes get 403 (some proxies, captive
  Wi-Fi and firewalls);
- ``go_silent()``: the connections open now stop carrying anything, either way, without
  closing (a phone moved off Wi-Fi or between cells, a NAT that forgot the connection);
  new connections pass as before;
- ``silence_new_sockets``: each WebSocket handshake passes, then its connection goes silent
  (a network that lets a connection start and then loses everything).
"""
import socket
import threading


class PhoneNetwork:
    def __init__(self, target_port):
        self.target_port, self.refuse_sockets, self.silence_new_sockets = target_port, False, False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.open = set()
        self.silenced = set()  # the client ends of the connections that carry nothing now
        self.sockets_passed = 0
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def go_silent(self):
        """Every connection open now goes on carrying nothing, without closing."""
        self.silenced |= set(self.open)

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            thread = threading.Thread(target=self._relay, args=(client,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _relay(self, client):
        with client:
            self.open.add(client)
            first = client.recv(65536)
            is_socket = b"upgrade: websocket" in first.lower()
            if self.refuse_sockets and is_socket:
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            self.sockets_passed += is_socket
            with socket.create_connection(("127.0.0.1", self.target_port)) as server:
                self.open.add(server)
                server.sendall(first)
                silence_after_handshake = is_socket and self.silence_new_sockets
                back = threading.Thread(target=self._pipe, args=(server, client, client, silence_after_handshake),
                                        daemon=True)
                back.start()
                self._pipe(client, server, client)
                back.join()
                self.open -= {client, server}

    def _pipe(self, source, sink, client, silence_after_first=False):
        try:
            while data := source.recv(65536):
                if client not in self.silenced:
                    sink.sendall(data)
                if silence_after_first:
                    self.silenced.add(client)
        except OSError:
            pass
        if client in self.silenced:
            return  # a silent network does not pass a close on either
        try:
            sink.shutdown(socket.SHUT_WR)  # the other direction ends on its own
        except OSError:
            pass

    def close(self):
        for end in [self.listener, *list(self.open)]:  # shutdown wakes the threads blocked on them
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.listener.close()
        for thread in self.threads:
            thread.join(5)
