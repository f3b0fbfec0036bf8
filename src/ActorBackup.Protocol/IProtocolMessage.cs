namespace ActorBackup.Protocol;

/// <summary>
/// Marker of every message that may cross the wire between nodes. The cluster binds the
/// project's compact binary serializer to it, instead of Akka's default JSON.
/// </summary>
public interface IProtocolMessage;
