"""The knowledge base as source: kb/'s files read, parsed and described.

Owns where a kb lives and its files in load order (``files``), the Datalog parser that accepts facts and rules and
refuses anything else (``program``), the case vocabulary the kb declares (``vocabulary``), and the pathways,
criteria and citations read from kb facts (``pathways``). Nothing here decides a case.

May import: laro_kb.errors. The ground floor above the errors: everything else may import it.
"""
