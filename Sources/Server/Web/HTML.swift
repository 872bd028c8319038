import Foundation

/// Small helpers for the server-rendered pages.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The fields of an application/x-www-form-urlencoded body.
    static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let name = parts.first { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    /// A whole page with the portal's style.
    static func page(title: String, body: String, script: String = "") -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1c2430}
        header{background:#1c2430;color:#fff;padding:.8em 1.5em}header a{color:#fff;text-decoration:none;font-weight:600}
        main{padding:1.5em;max-width:1200px;margin:auto}
        table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.4em .6em;border-bottom:1px solid #e3e6ea;text-align:left}
        code,pre{background:#eef1f4;padding:.2em .4em;border-radius:4px;font-size:.9em}pre{padding:.6em;overflow-x:auto}
        form{background:#fff;padding:1em;border:1px solid #e3e6ea;border-radius:6px}input{padding:.4em;margin:.2em .6em .2em 0}
        button{padding:.35em .8em;border:1px solid #9aa5b1;background:#fff;border-radius:4px;cursor:pointer}
        .error{color:#b3261e}
        </style></head>
        <body><header><a href="/">avcluster</a> &middot; live channels</header><main>
        \(body)
        </main>\(script.isEmpty ? "" : "<script>\(script)</script>")</body></html>
        """
    }
}
