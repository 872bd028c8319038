import Media

/// What `viewer watch` shows: the picture, a status line, news (chat, mode switches, re-joins)
/// and the chat input line.
protocol WatchView: AnyObject {
    func show(_ picture: I420Frame)
    func status(_ line: String)
    /// A line of news: chat, or what the viewer did and why.
    func news(_ line: String)
    func inputChanged(_ text: String)
    func resized()
    func close()
}
