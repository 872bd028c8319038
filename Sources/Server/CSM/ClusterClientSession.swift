import NIOCore
import Wire

/// One client of the cluster API over the control protocol (a web server, usually).
struct ClusterClientSession {
    let api: any ClusterAPI

    func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var sawHello = false
            for try await frame in inbound {
                if !sawHello {
                    do {
                        _ = try ControlCoder.decodeHello(from: frame)
                    } catch let error as WireError {
                        try? await outbound.write(message: ClusterResponse.failed(id: 0, ControlError(error)))
                        return
                    }
                    sawHello = true
                    try await outbound.write(message: ClusterResponse.hello(Hello(peer: .csm, name: "csm")))
                    continue
                }
                guard case .call(let id, let call) = try? ControlCoder.decode(ClusterRequest.self, from: frame) else {
                    try await outbound.write(message: ClusterResponse.failed(id: 0, ControlError(.malformed, "expected a cluster call")))
                    continue
                }
                try await outbound.write(message: await api.answer(call, id: id))
            }
        }
    }
}
