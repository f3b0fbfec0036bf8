using ActorBackup.Core;

namespace ActorBackup.Hosting;

/// <summary>
/// A strict check of a configuration file's text before Akka's HOCON parser sees it. That
/// parser takes broken text silently (an unclosed string or list), loops forever on some
/// (a list closed by a brace), recurses once per level of nesting and per link of a
/// substitution chain (a deep file or a cycle overflows the stack, which ends the process and
/// cannot be caught), and quotes the offending line in its errors (a password hash, when
/// /etc/shadow is given). So this accepts plain HOCON only, and names the first problem by
/// file and line, never quoting the text:
/// <list type="bullet">
/// <item>objects, lists, quoted, triple-quoted and unquoted strings, comments, key paths (a.b = 1);</item>
/// <item>at most <see cref="MaxDepth"/> levels of keys and lists;</item>
/// <item>no include: Akka's parser never resolved one for us (a plain include failed, the
/// file() and required() forms were ignored), and a root-run backup reads no file but the one named;</item>
/// <item>substitutions ${a.b} only, at most <see cref="MaxSubstitutions"/>, and none that names a
/// key holding a substitution, or the key it sits in: no chains, so no cycles.</item>
/// </list>
/// </summary>
public sealed class HoconSyntax
{
    public const int MaxDepth = 32;
    public const int MaxSubstitutions = 64;

    /// <summary>Characters HOCON forbids in unquoted text.</summary>
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    private readonly string _text;
    private readonly string _file;
    private readonly List<Substitution> _substitutions = [];
    private int _pos;

    private HoconSyntax(string text, string file)
    {
        _text = text;
        _file = file;
    }

    /// <summary>A ${...} in the file: the key path it sits in, the key path it names, its line.</summary>
    public sealed record Substitution(string[] At, string[] Target, int Line);

    /// <summary>Throws a usage error naming <paramref name="file"/> and a line; returns the file's substitutions.</summary>
    public static IReadOnlyList<Substitution> Check(string text, string file)
    {
        var syntax = new HoconSyntax(text, file);
        syntax.BracketDepth();
        syntax.Root();
        syntax.CheckSubstitutions();
        return syntax._substitutions;
    }

    /// <summary>The 1-based line of a position in <paramref name="text"/>.</summary>
    public static int LineOf(string text, int position) =>
        text.AsSpan(0, Math.Clamp(position, 0, text.Length)).Count('\n') + 1;

    private bool AtEnd => _pos >= _text.Length;

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    /// <summary>
    /// Brackets counted anywhere, in strings and comments too: whatever Akka's tokenizer takes
    /// for a string, its recursion on brackets then stays bounded (belt and braces to the
    /// structural check below, which agrees with it on strings and comments where it was tried).
    /// </summary>
    private void BracketDepth()
    {
        var depth = 0;
        for (var i = 0; i < _text.Length; i++)
        {
            if (_text[i] is '{' or '[' && ++depth > 2 * MaxDepth)
                throw Fail(i, $"brackets nested more than {2 * MaxDepth} levels deep; flatten the file");
            if (_text[i] is '}' or ']' && depth > 0)
                depth--;
        }
    }

    private void Root()
    {
        if (Peek() == '\uFEFF')
            _pos++;
        SkipBlank();
        if (Peek() != '{')
        {
            Members([], 0, closer: null, openedAt: 0);
            return;
        }
        var open = _pos++;
        Members([], 0, '}', open);
        _pos++;
        SkipBlank();
        if (!AtEnd)
            throw Fail(_pos, "text after the } that closes the file's object; remove it");
    }

    /// <summary>Members of an object up to <paramref name="closer"/> (not taken), or to the end of the file.</summary>
    private void Members(string[] at, int depth, char? closer, int openedAt)
    {
        while (true)
        {
            SkipBlank();
            if (AtEnd)
            {
                if (closer is null)
                    return;
                throw Fail(openedAt, "this { is never closed; add its }");
            }
            if (Peek() == closer)
                return;
            Member(at, depth);
            SkipSpaces();
            if (Peek() == ',')
                _pos++;
            else if (!AtEnd && Peek() != '\n' && Peek() != closer)
                throw Fail(_pos, Peek() is '}' or ']' ? "a } or ] that closes nothing; remove it" : "more text after a value; put each key on its own line");
        }
    }

    private void Member(string[] at, int depth)
    {
        var start = _pos;
        var (key, plain) = Key();
        SkipSpaces();
        if (plain && key is ["include"] && !AtEnd && Peek() is not ('=' or ':' or '{'))
            throw Fail(start, "include is not supported; copy the keys into this file (a cluster run layers two files: --cluster and --config)");
        if (depth + key.Length > MaxDepth)
            throw Fail(start, $"keys nested more than {MaxDepth} levels deep; flatten the file");
        string[] path = [.. at, .. key];
        switch (Peek())
        {
            case '{':
                var open = _pos++;
                Members(path, depth + key.Length, '}', open);
                _pos++;
                return;
            case '=' or ':':
                _pos++;
                SkipSpaces();
                Value(path, depth + key.Length, "a key without a value; give it one, or remove the key");
                return;
            case '+' when Peek(1) == '=':
                throw Fail(_pos, "+= is not supported; write the whole list");
            default:
                throw Fail(_pos, "expected = or { after a key (a key is one word, or quoted)");
        }
    }

    /// <summary>A key path: segments, unquoted or quoted, joined by dots. Plain: one unquoted segment.</summary>
    private (string[] Key, bool Plain) Key()
    {
        var segments = new List<string>();
        var quoted = false;
        while (true)
        {
            if (Peek() == '"')
            {
                segments.Add(Quoted());
                quoted = true;
            }
            else
            {
                var start = _pos;
                while (!AtEnd && IsUnquoted(Peek()) && Peek() != '.')
                    _pos++;
                if (_pos == start)
                    throw Fail(_pos, Peek() is '}' or ']' ? "a } or ] that closes nothing; remove it" : Unexpected("where a key should start"));
                segments.Add(_text[start.._pos]);
            }
            if (Peek() != '.')
                return ([.. segments], !quoted && segments.Count == 1);
            _pos++;
        }
    }

    /// <summary>A value: one object, one list, or strings and substitutions joined on one line.</summary>
    private void Value(string[] at, int depth, string missing)
    {
        if (AtValueEnd())
            throw Fail(_pos, missing);
        if (Peek() is '{' or '[')
        {
            if (Peek() == '{')
            {
                var open = _pos++;
                Members(at, depth, '}', open);
                _pos++;
            }
            else
                List(at, depth);
            SkipSpaces();
            if (!AtValueEnd())
                throw Fail(_pos, "text after a list or object on its line; a list or object is a value of its own");
            return;
        }
        while (true)
        {
            Simple(at);
            SkipSpaces();
            if (AtValueEnd())
                return;
        }
    }

    private void List(string[] at, int depth)
    {
        var open = _pos++;
        if (depth + 1 > MaxDepth)
            throw Fail(open, $"lists nested more than {MaxDepth} levels deep; flatten the file");
        while (true)
        {
            SkipBlank();
            if (AtEnd)
                throw Fail(open, "this [ is never closed; add its ]");
            if (Peek() == ']')
            {
                _pos++;
                return;
            }
            Value(at, depth + 1, "an empty item in a list; remove the extra comma");
            SkipSpaces();
            if (Peek() == ',')
                _pos++;
            else if (!AtEnd && Peek() is not ('\n' or ']'))
                throw Fail(_pos, "expected , or ] after an item of a list");
        }
    }

    /// <summary>A quoted string, a substitution or unquoted text.</summary>
    private void Simple(string[] at)
    {
        switch (Peek())
        {
            case '"' when Peek(1) == '"' && Peek(2) == '"':
                TripleQuoted();
                return;
            case '"':
                Quoted();
                return;
            case '$' when Peek(1) == '{':
                SubstitutionAt(at);
                return;
            case '{' or '[':
                throw Fail(_pos, "a list or object joined with other text on one line; a list or object is a value of its own");
        }
        var start = _pos;
        while (!AtEnd && IsUnquoted(Peek()))
            _pos++;
        if (_pos == start)
            throw Fail(_pos, Unexpected("in a value; put the value in quotes"));
    }

    private string Quoted()
    {
        var open = _pos++;
        var text = new System.Text.StringBuilder();
        while (true)
        {
            if (AtEnd || Peek() == '\n')
                throw Fail(open, "a string opened here is not closed on its line; add the closing \"");
            var c = _text[_pos];
            if (c == '"')
            {
                _pos++;
                return text.ToString();
            }
            if (char.IsControl(c) && c != '\t')
                throw Fail(_pos, "a control character; a configuration file is text");
            if (c != '\\')
            {
                text.Append(c);
                _pos++;
                continue;
            }
            var escape = Peek(1);
            var hex = escape == 'u' && _pos + 6 <= _text.Length && !_text.AsSpan(_pos + 2, 4).ContainsAnyExcept("0123456789abcdefABCDEF");
            if (hex)
            {
                text.Append((char)Convert.ToUInt16(_text.Substring(_pos + 2, 4), 16));
                _pos += 6;
                continue;
            }
            var plain = escape switch { '"' => '"', '\\' => '\\', '/' => '/', 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', _ => '\0' };
            if (plain == '\0')
                throw Fail(_pos, "an unknown escape in a quoted string (\\u needs 4 hex digits); write \\\\ for a backslash");
            text.Append(plain);
            _pos += 2;
        }
    }

    private void TripleQuoted()
    {
        var open = _pos;
        var close = _text.IndexOf("\"\"\"", _pos + 3, StringComparison.Ordinal);
        if (close < 0)
            throw Fail(open, "a \"\"\" string opened here is never closed; add the closing \"\"\"");
        for (var i = _pos + 3; i < close; i++)
        {
            if (char.IsControl(_text[i]) && _text[i] is not ('\n' or '\r' or '\t'))
                throw Fail(i, "a control character; a configuration file is text");
        }
        _pos = close + 3;
        // HOCON gives quotes right after the closing three to the string; Akka's parser opens a new string.
        if (Peek() == '"')
            throw Fail(_pos, "a quote right after the closing \"\"\" of a string; move it inside the string");
    }

    private void SubstitutionAt(string[] at)
    {
        var open = _pos;
        _pos += 2;
        if (Peek() == '?')
            throw Fail(open, "optional substitutions ${?...} are not supported; write the value itself");
        var target = new List<string>();
        while (true)
        {
            var start = _pos;
            while (!AtEnd && IsUnquoted(Peek()) && Peek() != '.')
                _pos++;
            if (_pos == start)
                throw Fail(open, "a substitution must name a key without quotes or spaces, as in ${actorbackup.walkers}");
            target.Add(_text[start.._pos]);
            if (Peek() == '}')
                break;
            if (Peek() != '.')
                throw Fail(open, "a substitution must name a key without quotes or spaces, as in ${actorbackup.walkers}");
            _pos++;
        }
        _pos++;
        if (target.Count > MaxDepth)
            throw Fail(open, $"a substitution names a key more than {MaxDepth} levels deep; flatten the file");
        if (_substitutions.Count == MaxSubstitutions)
            throw Fail(open, $"more than {MaxSubstitutions} substitutions; write the values themselves");
        _substitutions.Add(new Substitution(at, [.. target], LineOf(_text, open)));
    }

    /// <summary>
    /// Reading a substitution's key reads every key inside it and walks through every key
    /// around it. When one of those holds a substitution (itself included), the reads could
    /// come back round, and Akka's resolver recurses on every link: refused.
    /// </summary>
    private void CheckSubstitutions()
    {
        foreach (var s in _substitutions)
        {
            foreach (var t in _substitutions)
            {
                if (!Related(t.At, s.Target))
                    continue;
                throw ReferenceEquals(s, t)
                    ? Failure(s.Line, "a substitution names the key it is in, or one around it (a cycle); write the value itself")
                    : Failure(s.Line, $"a substitution names a key that holds another substitution (line {t.Line}); chains of substitutions are not supported, write the value itself");
            }
        }
    }

    /// <summary>One path is the other or lies inside it.</summary>
    private static bool Related(string[] a, string[] b)
    {
        var common = Math.Min(a.Length, b.Length);
        return a.AsSpan(0, common).SequenceEqual(b.AsSpan(0, common));
    }

    /// <summary>Blank: spaces, tabs, comments and new lines.</summary>
    private void SkipBlank()
    {
        while (true)
        {
            SkipSpaces();
            if (Peek() != '\n')
                return;
            _pos++;
        }
    }

    /// <summary>Spaces, tabs, carriage returns and a comment up to (not including) the end of its line.</summary>
    private void SkipSpaces()
    {
        while (!AtEnd)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t' or '\r')
                _pos++;
            else if (c == '#' || (c == '/' && Peek(1) == '/'))
            {
                var end = _text.IndexOf('\n', _pos);
                _pos = end < 0 ? _text.Length : end;
            }
            else
                return;
        }
    }

    private bool AtValueEnd() =>
        AtEnd || Peek() is '\n' or ',' or '}' or ']' or '#' || (Peek() == '/' && Peek(1) == '/');

    /// <summary>Printable ASCII that HOCON allows outside quotes, not starting a // comment.</summary>
    private bool IsUnquoted(char c) =>
        c is > ' ' and < '\x7f' && !Forbidden.Contains(c) && !(c == '/' && Peek(1) == '/');

    /// <summary>What is wrong with the character at the position, without quoting the text.</summary>
    private string Unexpected(string where)
    {
        var c = Peek();
        if (c > '\x7f')
            return $"a character outside ASCII {where}";
        if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            return $"a control character {where}";
        // Which character is not said: on line 1 of /etc/shadow it would tell how root's password is set.
        return Forbidden.Contains(c) ? $"a character HOCON allows only in quotes (one of {Forbidden}) {where}" : $"unexpected text {where}";
    }

    private UserError Fail(int position, string what) => Failure(LineOf(_text, position), what);

    private UserError Failure(int line, string what) =>
        new(ExitCode.Usage, $"configuration file {_file}, line {line}: {what}");
}
