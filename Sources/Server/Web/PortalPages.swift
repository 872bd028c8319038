import Foundation
import Wire

/// The portal's pages: live channels, the form that opens one, and a page per channel with the
/// exact commands to watch it or go live on it, and links to watch and go live in the browser
/// (`StaticFiles`: watch.html, broadcast.html).
enum PortalPages {
    static func home(channels: [ChannelSummary], server: String, error: String? = nil) -> String {
        let rows = channels.map { channel in
            """
            <tr><td><a href="/channels/\(channel.channel)">\(channel.channel)</a></td><td>\(HTML.escape(channel.title))</td>
            <td>\(HTML.escape(channel.broadcasterName))</td><td>\(channel.viewers)</td><td>\(time(channel.startedAtMilliseconds))</td>
            <td><a class="watch" href="/watch/\(channel.channel)">watch here</a> or <code>viewer watch --server \(HTML.escape(server)) \(channel.channel)</code></td></tr>
            """
        }.joined()
        let table = channels.isEmpty
            ? "<p>No channel is live. Open one below, or run <code>broadcaster --server \(HTML.escape(server)) --title \"My channel\"</code>.</p>"
            : "<table id=\"channels\"><tr><th>#</th><th>title</th><th>broadcaster</th><th>viewers</th><th>started</th><th>watch it</th></tr>\(rows)</table>"
        return HTML.page(title: "avcluster: live channels", body: """
            <h1>Live channels</h1>
            \(table)
            <h2>Open a channel</h2>
            \(error.map { "<p class=\"error\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/channels">
            <label>Title <input name="title" maxlength="\(OpenChannelRequest.maxTitleLength)" required></label>
            <label>Your name <input name="broadcasterName" maxlength="\(OpenChannelRequest.maxNameLength)"></label>
            <button type="submit">Open</button></form>
            <h2>Go live from OBS, ffmpeg or a phone</h2>
            <form method="post" action="/stream-keys">
            <label>Title <input name="title" maxlength="\(OpenChannelRequest.maxTitleLength)" required></label>
            <button type="submit">Make a stream key</button></form>
            <p>Or <a id="broadcast-link" href="/broadcast">go live from this browser</a> (camera and microphone), or straight from a terminal: <code>broadcaster --server \(HTML.escape(server)) --title "My channel"</code></p>
            """)
    }

    /// A channel's page; `secret` only right after it was opened here.
    static func channel(
        _ channel: ChannelSummary?, number: ChannelID, history: ChannelHistory?, server: String, secret: String?, publisher: PublisherReport? = nil
    ) -> String {
        let title = channel?.title ?? history?.title ?? "channel \(number)"
        var body = "<h1>\(HTML.escape(title))</h1>"
        if let channel {
            body += "<p>Channel \(number), by \(HTML.escape(channel.broadcasterName)), live since \(time(channel.startedAtMilliseconds)); \(channel.viewers) watching.</p>"
            if let publisher {
                body += """
                    <p id="ingest">Fed over \(HTML.escape(publisher.ingest.uppercased())): \(publisher.videoCodec == .h264 ? "H.264" : "VP8") and \(HTML.escape(publisher.audioCodec.uppercased())) (made Opus), \(publisher.kilobitsPerSecond) kbit/s, \(publisher.framesPerSecond) frames a second, \(publisher.dropped) packets dropped over the channel's cap.</p>
                    """
            }
        } else if let history {
            body += "<p>Channel \(number) by \(HTML.escape(history.broadcasterName)) ended \(history.endedAtMilliseconds.map(time) ?? "") (peak \(history.peakViewers) viewers, \(history.totalViewers) joins).</p>"
        } else {
            body += "<p class=\"error\">No channel \(number) is live.</p>"
        }
        body += "<h2>Watch it</h2><p><a id=\"watch-link\" href=\"/watch/\(number)\">Watch in this browser</a>, or in a terminal:</p><pre id=\"viewer-command\">viewer watch --server \(HTML.escape(server)) \(number)</pre>"
        if let secret {
            body += """
                <h2>Go live on it</h2><p>Keep this secret: it lets you send to and close the channel.</p>
                <pre id="broadcaster-command">broadcaster --server \(HTML.escape(server)) --channel \(number) --secret \(HTML.escape(secret))</pre>
                """
        } else {
            body += "<h2>Go live on it</h2><pre id=\"broadcaster-command\">broadcaster --server \(HTML.escape(server)) --channel \(number) --secret YOUR-SECRET</pre>"
        }
        return HTML.page(title: title, body: body)
    }

    /// A stream key just made: shown this once, with what to paste into OBS.
    static func streamKey(_ made: StreamKeyResponse, servers: [String]) -> String {
        let server = servers.first ?? "rtmp://UNIT-HOST:1935/live"
        let others = servers.dropFirst().map { "<code>\(HTML.escape($0))</code>" }.joined(separator: ", ")
        return HTML.page(title: "Stream key for \(made.title)", body: """
            <h1>Stream key for \(HTML.escape(made.title))</h1>
            <p>Copy the key now: it is shown only this once (the portal keeps its number, \(made.id), to revoke it).</p>
            <p>In OBS: Settings &gt; Stream, Service <b>Custom...</b>, then</p>
            <table><tr><th>Server</th><td><code id="rtmp-server">\(HTML.escape(server))</code></td></tr>
            <tr><th>Stream Key</th><td><code id="stream-key">\(HTML.escape(made.key))</code></td></tr></table>
            \(others.isEmpty ? "" : "<p>Any unit takes it: \(others).</p>")
            <p>Settings &gt; Output: keyframe interval 1 or 2 s, no B-frames (x264 <code>bframes=0</code>). Press "Start streaming": the channel opens, and comes back to the same viewers when OBS reconnects.</p>
            <p>From a terminal: <code>ffmpeg -re -i talk.mp4 -c:v libx264 -bf 0 -g 50 -c:a aac -f flv \(HTML.escape(server))/\(HTML.escape(made.key))</code></p>
            """)
    }

    static func time(_ milliseconds: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
